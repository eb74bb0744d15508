"""Maps drawn offline with Altair: department and commune outlines shipped as data, place, structures by kind."""
from __future__ import annotations

import altair as alt
import pandas as pd

from procure.service.app_views import (
    KIND_LABELS_FR,
    commune_outlines,
    department_name,
    department_of,
    department_outlines,
)

KIND_COLOURS = {"EI": "#1b9e77", "ACI": "#d95f02", "AI": "#7570b3", "ETTI": "#e7298a", "GEIQ": "#66a61e",
                "EA": "#e6ab02", "ESAT": "#a6761d", "EITI": "#1f78b4"}


def place_communes(place: dict | None) -> list[dict]:
    """Communes of a place of execution as stored in the analysis: a Commune dict or a Place dict."""
    if not isinstance(place, dict):
        return []
    if "insee" in place:
        return [place]
    return [c for c in place.get("communes") or [] if isinstance(c, dict) and c.get("insee")]


def place_departments(place: dict | None) -> list[str]:
    if not isinstance(place, dict):
        return []
    found = [department_of(c["insee"]) for c in place_communes(place)]
    found += [str(d) for d in place.get("departments") or []]
    return list(dict.fromkeys(found))


def _kind_label(code: str) -> str:
    return f"{code} — {KIND_LABELS_FR[code]}" if code in KIND_LABELS_FR else (code or "autre")


def structures_frame(matches: list[dict]) -> pd.DataFrame:
    rows = [{"Structure": m["supplier"]["name"], "Type": _kind_label((m["supplier"]["kinds"] or "").split(",")[0]),
             "Types": (m["supplier"]["kinds"] or "").replace(",", ", "), "Commune": m["supplier"]["commune"] or "",
             "lat": m["supplier"]["latitude"], "lon": m["supplier"]["longitude"], "Rang": m["rank"]}
            for m in matches if m["supplier"].get("latitude") is not None]
    return pd.DataFrame(rows)


def _view(here: list[dict], structures: pd.DataFrame, margin: float = 0.08) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) around the place and the structures, about 8 km wider on each side."""
    lons = [c["longitude"] for c in here if c.get("longitude") is not None] + list(structures.get("lon", []))
    lats = [c["latitude"] for c in here if c.get("latitude") is not None] + list(structures.get("lat", []))
    if not lons:
        return None
    return min(lons) - margin, min(lats) - margin, max(lons) + margin, max(lats) + margin


def lot_map(place: dict | None, matches: list[dict]) -> alt.LayerChart | None:
    """Departments around the place and the structures, by kind; None when nothing can be placed."""
    structures = structures_frame(matches)
    departments = place_departments(place)
    departments += [department_of(str(m["supplier"].get("insee") or "")) for m in matches if m["supplier"].get("insee")]
    departments = list(dict.fromkeys(d for d in departments if d))
    if not departments and structures.empty:
        return None
    layers = []
    outlines = department_outlines(departments)["features"]
    if outlines:
        layers.append(alt.Chart(alt.Data(values=outlines)).mark_geoshape(fill="#f3f3f3", stroke="#555", strokeWidth=1.5)
                      .encode(tooltip=[alt.Tooltip("properties.name:N", title="Département")]))
    here = place_communes(place)
    if departments[:1]:
        communes = commune_outlines(department=departments[0], within=_view(here, structures))["features"]
        chosen = {c["insee"] for c in here}
        layers.append(alt.Chart(alt.Data(values=communes)).mark_geoshape(stroke="#bbb", strokeWidth=0.4)
                      .encode(color=alt.condition(f"indexof({sorted(chosen)!r}, datum.properties.insee) >= 0",
                                                  alt.value("#fdd49e"), alt.value("transparent")),
                              tooltip=[alt.Tooltip("properties.name:N", title="Commune")]))
    if here:
        points = pd.DataFrame([{"lat": c.get("latitude"), "lon": c.get("longitude"), "Lieu": f"Lieu d'exécution : {c['name']}"}
                               for c in here if c.get("latitude") is not None])
        if not points.empty:
            base = alt.Chart(points).encode(longitude="lon:Q", latitude="lat:Q")
            layers.append(base.mark_point(shape="diamond", size=220, filled=True, color="#b30000")
                          .encode(tooltip=[alt.Tooltip("Lieu:N", title="Lieu")]))
            layers.append(base.mark_text(dy=-14, fontWeight="bold", fontSize=12, color="#b30000").encode(text="Lieu:N"))
    if not structures.empty:
        kinds = sorted(structures["Type"].unique())
        scale = alt.Scale(domain=kinds, range=[KIND_COLOURS.get(k.split(" — ")[0], "#444") for k in kinds])
        layers.append(alt.Chart(structures).mark_circle(size=110, opacity=0.9, stroke="white", strokeWidth=1).encode(
            longitude="lon:Q", latitude="lat:Q",
            color=alt.Color("Type:N", scale=scale, legend=alt.Legend(title="Structures (type principal)", orient="bottom", columns=2, labelLimit=500)),
            tooltip=[alt.Tooltip("Rang:Q"), alt.Tooltip("Structure:N"), alt.Tooltip("Types:N"),
                     alt.Tooltip("Commune:N")]))
    title = ", ".join(f"{department_name(d) or d} ({d})" for d in departments) or "Structures"
    return alt.layer(*layers).project(type="mercator").properties(height=420, title=title)
