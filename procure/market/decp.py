"""Real awarded public contracts (DECP): the flattened 2019 format and the 2024 JSON format, cleaned alike."""
from __future__ import annotations

import gzip
import json
import math
import re
import zlib
from datetime import date
from pathlib import Path

import pandas as pd

from procure.errors import ProcureError, input_file_size
from procure.errors import shown as _shown
from procure.reference.cpv import normalize_cpv
from procure.text.normalize import fold

COLUMNS = ["id", "objet", "cpv", "division", "group", "procedure", "montant", "duree_mois", "date", "year", "acheteur_id",
           "acheteur_nom", "lieu_code", "lieu_type", "titulaires", "social", "source_format"]
# Values of considerationsSociales in the 2024 schema, mapped to procure's provision families.
SOCIAL_2024 = {"Clause sociale": "clause", "Critère social": "criterion", "Marché réservé": "reserved"}
SOCIAL_IN_TEXT = [
    ("reserved", re.compile(r"\breserve|\besat\b|entreprises? adaptees?|travailleurs handicapes|\bsiae\b")),
    ("clause", re.compile(r"clauses? (?:sociales?|d'insertion)|insertion professionnelle|heures d'insertion|marche d'insertion|"
                          r"insertion par l'activite economique|action d'insertion|qualification professionnelle")),
    ("criterion", re.compile(r"critere social")),
]
REPLACEMENT_CHAR = "\ufffd"


def repair_text(text: str) -> str:
    """One DECP source lost its accents to U+FFFD; 'é' is by far the likeliest letter behind it in French."""
    text = str(text or "").replace(REPLACEMENT_CHAR, "é")
    return " ".join(text.split())


def social_from_text(objet: str) -> list[str]:
    folded = fold(objet)
    return [kind for kind, pattern in SOCIAL_IN_TEXT if pattern.search(folded)]


# ---------------------------------------------------------------- values, one by one

MAX_AMOUNT = 1e12  # a thousand billion euros: above, a typing error, not a contract
MAX_JSON_BYTES = 100 * 1024 * 1024
MAX_ROWS = 500_000


def parse_amount(value) -> tuple[float | None, str | None]:
    """An amount in euros from a JSON number or a French / international string; or the French reason it is not one.

    "1 000 000", "1000000.50", "1.000.000,50", "12,5", 26130 are accepted; negative, infinite, NaN and
    absurdly large amounts are refused (the contract is kept without amount).
    """
    if value is None or value == "":
        return None, None
    if isinstance(value, bool):
        return None, f"montant « {value} » invalide : nombre attendu"
    if isinstance(value, (int, float)):
        number = _bounded_float(value)
    elif isinstance(value, str):
        number = _number_from_text(value)
        if number is None:
            return None, f"montant « {_shown(value)} » invalide : nombre attendu"
    else:
        return None, f"montant invalide : nombre attendu, trouvé {_json_type(value)}"
    if number is None or math.isnan(number) or math.isinf(number):
        return None, f"montant « {_shown(value)} » invalide : valeur non finie"
    if number < 0:
        return None, f"montant « {_shown(value)} » invalide : montant négatif"
    if number > MAX_AMOUNT:
        return None, f"montant « {_shown(value)} » invraisemblable (plus de mille milliards d'euros)"
    return number, None


def _bounded_float(value: int | float) -> float | None:
    try:
        return float(value)
    except OverflowError:  # an integer of 400 digits
        return math.inf


def _number_from_text(text: str) -> float | None:
    cleaned = re.sub(r"[\s\u00a0\u202f€]|EUR", "", text.strip(), flags=re.I)
    if len(cleaned) > 40:
        return None
    if re.fullmatch(r"-?\d{1,3}(\.\d{3})+(,\d+)?", cleaned):  # 1.000.000,50
        cleaned = cleaned.replace(".", "").replace(",", ".")
    elif re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", cleaned):  # 1,000,000.50
        cleaned = cleaned.replace(",", "")
    elif re.fullmatch(r"-?\d+,\d+", cleaned):  # 12,5
        cleaned = cleaned.replace(",", ".")
    if not re.fullmatch(r"-?\d+(\.\d+)?([eE][-+]?\d{1,4})?", cleaned):
        return None
    return float(cleaned)  # "1e309" becomes inf and is refused by the caller


ISO_DATE_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T ][\d:.]+)?(?:Z|[+-]\d{2}:?\d{2})?")
FRENCH_DATE_RE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


def parse_date(value) -> tuple[date | None, str | None]:
    """ISO (2023-05-04, 2023-05-04+02:00, 2023-05-04T10:00:00Z) or French (04/05/2023 = 4 May) date, value by value."""
    if value is None or value == "":
        return None, None
    if not isinstance(value, str):
        return None, f"date invalide : texte attendu, trouvé {_json_type(value)}"
    text = value.strip()
    match = ISO_DATE_RE.fullmatch(text)
    if match:
        year, month, day = (int(g) for g in match.groups())
    else:
        match = FRENCH_DATE_RE.fullmatch(text)
        if not match:
            return None, f"date « {_shown(value)} » invalide : format AAAA-MM-JJ ou JJ/MM/AAAA attendu"
        day, month, year = (int(g) for g in match.groups())
    try:
        parsed = date(year, month, day)
    except ValueError:
        return None, f"date « {_shown(value)} » invalide : ce jour n'existe pas"
    if not 1990 <= parsed.year <= 2100:
        return None, f"date « {_shown(value)} » invraisemblable"
    return parsed, None


def parse_months(value) -> tuple[float | None, str | None]:
    if value is None or value == "":
        return None, None
    number, problem = parse_amount(value)
    if problem or number is None or number > 1200:
        return None, f"durée « {_shown(value)} » invalide : nombre de mois attendu"
    return number, None




def _json_type(value) -> str:
    return {dict: "un objet", list: "une liste", str: "un texte", bool: "un booléen", type(None): "null"}.get(
        type(value), "un nombre")


def _clean_values(frame: pd.DataFrame, problems: list[str], where: list[str]) -> None:
    """Parse amounts, durations and dates value by value: one bad value never spoils the others."""
    for column, parser, label in (("montant", parse_amount, "montant"), ("duree_mois", parse_months, "dureeMois"),
                                  ("date", parse_date, "dateNotification")):
        parsed = []
        for position, value in enumerate(frame[column]):
            result, problem = parser(value)
            parsed.append(result)
            if problem:
                problems.append(f"{where[position]}.{label} : {problem}")
        frame[column] = parsed
    frame["montant"] = pd.to_numeric(frame["montant"], errors="coerce")
    frame["duree_mois"] = pd.to_numeric(frame["duree_mois"], errors="coerce")
    frame["date"] = pd.to_datetime(frame["date"], errors="coerce")


def _finish(frame: pd.DataFrame, problems: list[str] | None = None, where: list[str] | None = None) -> pd.DataFrame:
    problems = problems if problems is not None else []
    _clean_values(frame, problems, where or [f"ligne {i + 2}" for i in range(len(frame))])
    # Bounded to the database columns (PostgreSQL refuses longer values; SQLite would keep them silently).
    for column, width in (("objet", 5000), ("id", 100), ("procedure", 100), ("acheteur_id", 20), ("acheteur_nom", 300),
                          ("lieu_code", 10), ("lieu_type", 50), ("titulaires", 2000)):
        frame[column] = frame[column].map(lambda text, width=width: _clean(str(text or ""))[:width])
    codes = frame["cpv_raw"].map(lambda raw: normalize_cpv(str(raw or "")[:20]))
    frame["cpv"] = codes.map(lambda c: c.code if c is not None and c.status != "unknown" else None)
    frame["division"] = frame["cpv"].str[:2]
    frame["group"] = frame["cpv"].str[:3]
    frame["objet"] = frame["objet"].map(repair_text)
    frame["acheteur_nom"] = frame["acheteur_nom"].map(repair_text)
    frame["year"] = frame["date"].dt.year
    frame = frame[frame["objet"].str.len() > 3]
    # The same contract is often published by several sources: keep one row per (id, object, amount).
    frame = frame.drop_duplicates(subset=["id", "objet", "montant"]).reset_index(drop=True)
    frame = frame[COLUMNS]
    frame.attrs["problems"] = problems
    return frame


FLAT_COLUMNS = ["id", "objet", "codeCPV", "procedure", "montant", "dureeMois", "dateNotification", "acheteur_id",
                "acheteur_nom", "lieu_code", "lieu_typeCode", "titulaires_siret"]


def read_flat_csv(path: Path) -> pd.DataFrame:
    """The flattened 2019-format export (columns objet, codeCPV, montant, acheteur_nom…)."""
    raw = _read_csv(Path(path))
    missing = [column for column in FLAT_COLUMNS if column not in raw.columns]
    if missing:
        raise ProcureError(f"Export DECP CSV : colonne(s) absente(s) : {', '.join(missing)} "
                           "(format attendu : export aplati 2019, ou JSON 2024).")
    frame = pd.DataFrame({
        "id": raw["id"], "objet": raw["objet"], "cpv_raw": raw["codeCPV"], "procedure": raw["procedure"],
        "montant": raw["montant"], "duree_mois": raw["dureeMois"], "date": raw["dateNotification"],
        "acheteur_id": raw["acheteur_id"], "acheteur_nom": raw["acheteur_nom"], "lieu_code": raw["lieu_code"],
        "lieu_type": raw["lieu_typeCode"], "titulaires": raw["titulaires_siret"],
    })
    frame["social"] = frame["objet"].map(lambda o: ",".join(social_from_text(repair_text(o))))
    frame["source_format"] = "decp-2019"
    problems = []
    if raw.attrs.get("bad_lines"):
        problems.append(f"{raw.attrs['bad_lines']} ligne(s) mal formée(s) (nombre de colonnes incorrect) ignorée(s)")
    return _finish(frame, problems, [f"ligne {i + 2}" for i in range(len(frame))])


def _read_csv(path: Path) -> pd.DataFrame:
    _check_file(path)
    bad_lines: list[list[str]] = []
    try:
        # The python engine lets bad lines be counted and reported instead of silently dropped.
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, nrows=MAX_ROWS + 1, engine="python",
                          on_bad_lines=lambda fields: bad_lines.append(fields), encoding_errors="replace")
    except (gzip.BadGzipFile, EOFError, zlib.error, OSError) as exc:
        raise ProcureError("Export DECP illisible : l'archive compressée (.gz) est corrompue ou tronquée.") from exc
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as exc:
        raise ProcureError("Export DECP illisible : ce n'est pas un fichier CSV valide.") from exc
    if len(raw) > MAX_ROWS:
        raise ProcureError(f"Export DECP trop long : plus de {MAX_ROWS} marchés ; découpez-le (par année ou par "
                           "région). Rien n'a été importé.")
    raw.attrs["bad_lines"] = len(bad_lines)
    return raw


def _check_file(path: Path) -> None:
    input_file_size(path)


def read_2024_json(path: Path) -> pd.DataFrame:
    """The 2024 format (schema_decp_v2.0.2.json): {"marches": {"marche": [...]}} with considerationsSociales.

    A contract whose structure is wrong is left out and reported with the path of the bad field
    (`frame.attrs["problems"]`); a file whose top level is wrong is refused with a ProcureError.
    """
    marches = _contracts(_load_json(Path(path)))
    if len(marches) > MAX_ROWS:
        raise ProcureError(f"Export DECP trop long : {len(marches)} marchés (limite {MAX_ROWS}) ; découpez-le.")
    rows, problems, where = [], [], []
    for position, marche in enumerate(marches):
        base = f"marches[{position}]"
        try:
            rows.append(_contract_row(marche, base))
            where.append(base)
        except SchemaProblem as problem:
            problems.append(f"{problem.path} : {problem.message} — marché ignoré")
    frame = pd.DataFrame(rows, columns=["id", "objet", "cpv_raw", "procedure", "montant", "duree_mois", "date",
                                        "acheteur_id", "acheteur_nom", "lieu_code", "lieu_type", "titulaires",
                                        "social", "source_format"])
    return _finish(frame, problems, where)


class SchemaProblem(Exception):
    def __init__(self, path: str, message: str):
        super().__init__(f"{path} : {message}")
        self.path, self.message = path, message


def _load_json(path: Path):
    _check_file(path)
    size = path.stat().st_size
    if size > MAX_JSON_BYTES:
        raise ProcureError(f"Export DECP JSON trop volumineux ({size / 1048576:.0f} Mo, limite "
                           f"{MAX_JSON_BYTES // 1048576} Mo) : découpez-le (par année ou par région).")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ProcureError("Export DECP JSON illisible : il n'est pas encodé en UTF-8.") from exc
    try:
        return json.loads(text)
    except RecursionError as exc:
        raise ProcureError("Export DECP JSON refusé : structure imbriquée trop profondément.") from exc
    except json.JSONDecodeError as exc:
        raise ProcureError(f"Export DECP JSON invalide (ligne {exc.lineno}, colonne {exc.colno}) : {exc.msg}.") from exc
    except (ValueError, MemoryError) as exc:  # e.g. an integer of more than 4 300 digits
        raise ProcureError("Export DECP JSON refusé : une valeur est démesurée.") from exc


def _contracts(data) -> list:
    if not isinstance(data, dict):
        raise ProcureError(f"Export DECP JSON invalide : $ doit être un objet {{\"marches\": …}}, trouvé {_json_type(data)}.")
    marches = data.get("marches", [])
    if isinstance(marches, dict):
        marches = marches.get("marche", [])
        path = "$.marches.marche"
    else:
        path = "$.marches"
    if not isinstance(marches, list):
        raise ProcureError(f"Export DECP JSON invalide : {path} doit être une liste de marchés, trouvé {_json_type(marches)}.")
    return marches


def _contract_row(marche, base: str) -> dict:
    marche = _expect(marche, dict, base)
    identifier = _scalar(marche.get("id", ""), f"{base}.id")
    objet = _text(marche.get("objet", ""), f"{base}.objet")
    considerations = _optional(marche.get("considerationsSociales"), dict, f"{base}.considerationsSociales")
    social_values = considerations.get("considerationSociale") or []
    if isinstance(social_values, str):  # a single value given without its list
        social_values = [social_values]
    _expect(social_values, list, f"{base}.considerationsSociales.considerationSociale")
    social = [SOCIAL_2024[c] for c in social_values if isinstance(c, str) and c in SOCIAL_2024]
    holders = []
    for index, item in enumerate(_expect(marche.get("titulaires") or [], list, f"{base}.titulaires")):
        item = _expect(item, dict, f"{base}.titulaires[{index}]")
        holder = item.get("titulaire", item)
        holder = _expect(holder, dict, f"{base}.titulaires[{index}].titulaire")
        holders.append(_scalar(holder.get("id", ""), f"{base}.titulaires[{index}].titulaire.id"))
    place = _optional(marche.get("lieuExecution"), dict, f"{base}.lieuExecution")
    acheteur = _optional(marche.get("acheteur"), dict, f"{base}.acheteur")
    return {
        "id": identifier[:100], "objet": objet, "cpv_raw": _scalar(marche.get("codeCPV", ""), f"{base}.codeCPV"),
        "procedure": _text(marche.get("procedure", ""), f"{base}.procedure")[:100],
        "montant": _raw_number(marche.get("montant"), f"{base}.montant"),
        "duree_mois": _raw_number(marche.get("dureeMois"), f"{base}.dureeMois"),
        "date": marche.get("dateNotification") if isinstance(marche.get("dateNotification"), str) else
        _raw_number(marche.get("dateNotification"), f"{base}.dateNotification"),
        "acheteur_id": _scalar(acheteur.get("id", ""), f"{base}.acheteur.id")[:20],
        "acheteur_nom": _text(acheteur.get("nom", ""), f"{base}.acheteur.nom")[:300] or _scalar(acheteur.get("id", ""), f"{base}.acheteur.id")[:300],
        "lieu_code": _scalar(place.get("code", ""), f"{base}.lieuExecution.code")[:10],
        "lieu_type": _scalar(place.get("typeCode", ""), f"{base}.lieuExecution.typeCode")[:50],
        "titulaires": "|".join(holders)[:2000],
        "social": ",".join(sorted(set(social) | set(social_from_text(repair_text(objet))))),
        "source_format": "decp-2024",
    }


def _expect(value, kind: type, path: str):
    if not isinstance(value, kind):
        expected = {dict: "un objet", list: "une liste"}[kind]
        raise SchemaProblem(path, f"{expected} attendu, trouvé {_json_type(value)}")
    return value


def _optional(value, kind: type, path: str):
    return {} if value is None else _expect(value, kind, path)


def _scalar(value, path: str) -> str:
    """An identifier or code: text or number, never an object or a list."""
    if isinstance(value, (dict, list)):
        raise SchemaProblem(path, f"texte ou nombre attendu, trouvé {_json_type(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise SchemaProblem(path, "valeur non finie")
    text = "" if value is None else str(value) if not isinstance(value, int) or abs(value) < 10**30 else "?"
    return _clean(text)


def _text(value, path: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise SchemaProblem(path, f"texte attendu, trouvé {_json_type(value)}")
    return _clean(value)


def _raw_number(value, path: str):
    """Kept as given for parse_amount / parse_months / parse_date; only structures are refused here."""
    if isinstance(value, (dict, list)):
        raise SchemaProblem(path, f"nombre attendu, trouvé {_json_type(value)}")
    return value


def _clean(text: str) -> str:
    return "".join(ch for ch in text if ch.isprintable() or ch == " ")


def read_any(path: Path) -> pd.DataFrame:
    path = Path(path)
    if path.suffix.lower() == ".json":
        return read_2024_json(path)
    return read_flat_csv(path)


def social_share_by_division(frame: pd.DataFrame) -> pd.DataFrame:
    """Per CPV division: contracts, and share showing a social provision (in their object or 2024 field)."""
    known = frame.dropna(subset=["division"])
    grouped = known.groupby("division").agg(contracts=("id", "size"), social=("social", lambda s: (s != "").sum()))
    grouped["share"] = grouped["social"] / grouped["contracts"]
    return grouped.sort_values("contracts", ascending=False)
