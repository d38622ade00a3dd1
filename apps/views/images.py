"""Images: for image models, each image beside the attribution maps that explain its prediction, and
the sanity check that the maps depend on what the model learned."""

import streamlit as st

from audit_app import image_views, model_views
from audit_app.display import fmt, md, not_computed, page_header, require_audit, table
from audit_app.setup_sources import report_error

page_header("Images", "Which pixels the model's prediction rests on: red pixels raise the score of the predicted "
            "class, blue ones lower it.")
entry = require_audit()


def audited_gallery(section: dict, shown: list) -> None:
    labels = [f"image {s.get('row')} · true {s.get('true_label')} · predicted {s.get('predicted_label')}"
              for s in shown]
    index = st.selectbox("Image from the audited sample", range(len(shown)), key="images_sample",
                         format_func=lambda i: labels[i])
    sample = shown[index]
    maps = image_views.stored_maps(section, index)
    columns = st.columns(1 + max(len(maps), 1))
    with columns[0]:
        st.altair_chart(image_views.pixel_chart(sample["image"], title="Image", signed=False), key="images_original")
        st.caption(f"True {md(sample.get('true_label'))} · predicted {md(sample.get('predicted_label'))} · "
                   f"probability {fmt(sample.get('probability'))}")
    for column, (method, values) in zip(columns[1:], maps.items()):
        with column:
            st.altair_chart(image_views.pixel_chart(values, title=method.replace("_", " ").capitalize(), signed=True),
                            key=f"images_map_{method}")
    if not maps:
        not_computed("Attribution maps for this image")
    st.subheader("Sanity check")
    sanity = image_views.sanity_frame(section)
    if sanity is None:
        not_computed("The model-randomisation sanity check")
    else:
        st.caption("Maps that barely change when the model's weights are randomised explain the architecture, not "
                   "what the model learned (Adebayo et al., 2018).")
        table(sanity, key="images_sanity")


def on_demand() -> None:
    """Any image of the data, explained now (when the audit stored no maps)."""
    positions = model_views.filtered_positions(entry, "all")
    position = int(st.selectbox("Image", [int(p) for p in positions[:5000]], key="images_row",
                                format_func=lambda p: f"image {p}"))
    decisions = model_views.decisions(entry)
    row = decisions.iloc[position]
    columns = st.columns(1 + len(image_views.ON_DEMAND_METHODS))
    with columns[0]:
        st.altair_chart(image_views.pixel_chart(entry.data.images[position], title="Image", signed=False),
                        key="images_original")
        st.caption(f"Predicted {row['decision']}" + (f" · true {row['truth']}" if "truth" in row else ""))
    for column, method in zip(columns[1:], image_views.ON_DEMAND_METHODS):
        with column:
            try:
                with st.spinner(f"Computing {method.replace('_', ' ')}"):
                    values = model_views.explain_rows(entry, method, (position,)).values[0]
            except Exception as error:
                report_error(error, what=method.replace("_", " "))
                continue
            st.altair_chart(image_views.pixel_chart(values, title=method.replace("_", " ").capitalize(), signed=True),
                            key=f"images_map_{method}")


if entry is not None:
    section = entry.result.explanations or {}
    if entry.result.model.get("input_kind") != "image" or entry.data.images is None:
        not_computed("Saliency maps", "The audited model takes tabular input; saliency maps are for image models.")
    else:
        if image_views.error(section):
            st.warning(md(image_views.error(section)), icon=":material/warning:")
        shown = image_views.samples(section)
        try:
            if shown:
                audited_gallery(section, shown)
            elif model_views.explain_function() is not None:
                not_computed("Attribution maps", "Showing maps computed now for any image instead.")
                on_demand()
            else:
                not_computed("Saliency maps", "This installation has no explainers module.")
        except Exception as error:
            report_error(error, what="Showing the images")
