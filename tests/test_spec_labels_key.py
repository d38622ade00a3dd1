"""A run's reuse key covers the plain names of an in-memory dataset: the same table with other labels
gives other reports, so it must never reuse their result."""

import xai_audit as xa
from xai_audit.spec import AuditSpec


def test_labels_of_an_in_memory_dataset_change_the_key(credit_frame):
    plain = xa.AuditDataset.from_frame(credit_frame, target="outcome", positive_label="repaid", sensitive=["sex"])
    named = xa.AuditDataset.from_frame(credit_frame, target="outcome", positive_label="repaid", sensitive=["sex"],
                                       labels={"income": "Monthly income"})
    other = xa.AuditDataset.from_frame(credit_frame, target="outcome", positive_label="repaid", sensitive=["sex"],
                                       labels={"income": "Income per month"})
    keys = {AuditSpec(data=d, predictions=None).key() for d in (plain, named, other)}
    assert len(keys) == 3
    again = xa.AuditDataset.from_frame(credit_frame, target="outcome", positive_label="repaid", sensitive=["sex"],
                                       labels={"income": "Monthly income"})
    assert AuditSpec(data=again).key() == AuditSpec(data=named).key()
