"""The map of the territorial guide: the territory's outlines and its inclusive structures, one colour per kind."""
from __future__ import annotations

import io
import math
from collections import Counter

from procure.directory.suppliers import Supplier
from procure.market.practice import Territory

KIND_COLOURS = {"EI": (200, 30, 60), "ACI": (230, 120, 0), "AI": (0, 130, 80), "ETTI": (0, 90, 200),
                "EITI": (90, 90, 200), "GEIQ": (110, 140, 0), "EA": (120, 40, 170), "EATT": (150, 80, 200),
                "ESAT": (170, 0, 120), "REGIE": (0, 150, 150)}
OTHER_COLOUR = (90, 90, 90)
MAP_LABELS = 8  # communes named on the map: those with the most structures


def _rings(geometry: dict) -> list[list[tuple[float, float]]]:
    """Outer rings of a GeoJSON Polygon or MultiPolygon, as (lon, lat) lists."""
    if geometry["type"] == "Polygon":
        return [[tuple(p) for p in geometry["coordinates"][0]]]
    if geometry["type"] == "MultiPolygon":
        return [[tuple(p) for p in polygon[0]] for polygon in geometry["coordinates"]]
    return []


def _font(size: int):
    """DejaVu Sans (accents, dashes) when the system has it; Pillow's own font otherwise."""
    from PIL import ImageFont

    for name in ("DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"):
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


def _territory_outlines(territory: Territory) -> tuple[list, list]:
    """(department rings, commune rings) of the territory, from the outlines shipped with procure."""
    from procure.reference.outlines import commune_outlines, department_of, department_outlines

    departments = sorted({department_of(code) for code in territory.communes})
    department_rings = [ring for f in department_outlines(departments)["features"] for ring in _rings(f["geometry"])]
    communes = commune_outlines(territory.communes)["features"] if len(territory.communes) <= 1500 else []
    return department_rings, [ring for f in communes for ring in _rings(f["geometry"])]


def map_png(suppliers: list[Supplier], territory: Territory, width: int = 1600, height: int = 1400) -> bytes:
    """Map of the territory: department outline, communes, structures coloured by kind, main communes named, legend."""
    from PIL import Image, ImageDraw

    department_rings, commune_rings = _territory_outlines(territory)
    located = [s for s in suppliers if s.latitude is not None and s.longitude is not None]
    # Framed on the territory's communes: an EPCI straddling departments does not shrink to a corner of them.
    points = [p for ring in (commune_rings or department_rings) for p in ring] + [(s.longitude, s.latitude) for s in located]
    legend_height = 170
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    if not points:
        draw.text((40, 40), "Aucune coordonnée disponible pour ce territoire.", fill="black", font=_font(36))
        return _png(image)
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    west, east, south, north = min(lons), max(lons), min(lats), max(lats)
    shrink = math.cos(math.radians((north + south) / 2))  # a degree of longitude is shorter than one of latitude
    span_x, span_y = max((east - west) * shrink, 0.01), max(north - south, 0.01)
    scale = min((width - 80) / span_x, (height - legend_height - 80) / span_y)
    left = (width - span_x * scale) / 2
    top = 40 + (height - legend_height - 80 - span_y * scale) / 2

    def xy(lon: float, lat: float) -> tuple[float, float]:
        return left + (lon - west) * shrink * scale, top + (north - lat) * scale

    for ring in commune_rings:
        draw.polygon([xy(*p) for p in ring], fill=(245, 245, 240), outline=(200, 200, 200))
    for ring in department_rings:
        draw.line([xy(*p) for p in ring] + [xy(*ring[0])], fill=(40, 40, 40), width=4)
    for supplier in located:
        x, y = xy(supplier.longitude, supplier.latitude)
        colour = KIND_COLOURS.get(supplier.kinds[0] if supplier.kinds else "", OTHER_COLOUR)
        draw.ellipse((x - 9, y - 9, x + 9, y + 9), fill=colour, outline="black")
    _label_communes(draw, located, xy)
    draw.rectangle((0, height - legend_height, width, height), fill="white")  # outlines stop above the legend
    _legend(draw, located, width, height - legend_height + 20)
    return _png(image)


def _label_communes(draw, located: list[Supplier], xy) -> None:
    """Names of the communes with the most structures, on a white box so they stay readable over the dots."""
    by_commune: dict[str, list[Supplier]] = {}
    for supplier in located:
        by_commune.setdefault(supplier.commune_name or "", []).append(supplier)
    font = _font(28)
    drawn: list[tuple[float, float, float, float]] = []
    for name, members in sorted(by_commune.items(), key=lambda item: -len(item[1])):
        if not name or len(drawn) == MAP_LABELS:
            continue
        x, y = xy(sum(s.longitude for s in members) / len(members), sum(s.latitude for s in members) / len(members))
        text = f"{name} ({len(members)})"
        box = draw.textbbox((x + 14, y - 16), text, font=font)
        box = (box[0] - 4, box[1] - 2, box[2] + 4, box[3] + 2)
        if any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in drawn):
            continue  # the commune with more structures keeps its label
        draw.rectangle(box, fill="white", outline=(120, 120, 120))
        draw.text((x + 14, y - 16), text, fill="black", font=font)
        drawn.append(box)


def _legend(draw, located: list[Supplier], width: int, y: int) -> None:
    counts = Counter(s.kinds[0] if s.kinds and s.kinds[0] in KIND_COLOURS else "autre" for s in located)
    font = _font(28)
    x = 40
    draw.text((x, y), "Structures par type (nombre) — trait noir : limite du département ; gris : communes",
              fill="black", font=font)
    y += 50
    for kind, count in sorted(counts.items(), key=lambda item: -item[1]):
        label = f"{kind} ({count})"
        step = draw.textlength(label, font=font) + 70
        if x + step > width - 40:
            x, y = 40, y + 44
        draw.ellipse((x, y + 4, x + 26, y + 30), fill=KIND_COLOURS.get(kind, OTHER_COLOUR), outline="black")
        draw.text((x + 36, y), label, fill="black", font=font)
        x += step


def _png(image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
