"""Recourse for declined cases: the cheapest change that turns a decline into an approval, and
whether that burden is the same for every group.

``recourse_section`` builds the record's ``recourse`` section; the ``recourse_burden`` policy check
that judges it lives with the other checks (:mod:`xai_audit.checks.recourse`).
"""

from xai_audit.recourse.constraints import Constraints, build_constraints, read_recourse_toml
from xai_audit.recourse.cost import CostModel, fit_costs
from xai_audit.recourse.linear import closed_form_recourse, linear_form
from xai_audit.recourse.search import Suggestion, search_recourse
from xai_audit.recourse.section import case_sentence, recourse_section

__all__ = ["Constraints", "CostModel", "Suggestion", "build_constraints", "case_sentence", "closed_form_recourse",
           "fit_costs", "linear_form", "read_recourse_toml", "recourse_section", "search_recourse"]
