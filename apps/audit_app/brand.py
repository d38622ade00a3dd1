"""The app's icon, drawn here so the browser never fetches one from the internet."""

from __future__ import annotations

from functools import lru_cache

PRIMARY = (31, 78, 121)


@lru_cache(maxsize=1)
def icon():
    """A 64×64 shield with a check mark, as a PIL image (Streamlit serves it as the favicon)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.polygon([(32, 3), (58, 12), (55, 38), (32, 61), (9, 38), (6, 12)], fill=PRIMARY)
    draw.line([(19, 33), (28, 42), (46, 22)], fill=(255, 255, 255), width=7, joint="curve")
    return image
