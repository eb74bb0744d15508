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
# "Pas de considération sociale" in the schema; the consolidated data.gouv export (decp-processing) writes
# "Sans objet" instead and joins several values with commas ("Clause sociale, Critère social").
SOCIAL_NONE = {"Pas de considération sociale", "Sans objet"}
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
MAX_JSON_BYTES = 100 * 1024 * 1024  # read_2024_json holds the whole file; the streamed import has no size limit


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
    for column, parser, kept in (("montant", parse_amount, "importé sans montant"),
                                 ("duree_mois", parse_months, "importé sans durée"),
                                 ("date", parse_date, "importé sans date de notification")):
        parsed = []
        for position, value in enumerate(frame[column]):
            result, problem = parser(value)
            parsed.append(result)
            if problem:
                problems.append(f"{where[position]} : {problem} ({kept})")
        frame[column] = parsed
    frame["montant"] = pd.to_numeric(frame["montant"], errors="coerce")
    frame["duree_mois"] = pd.to_numeric(frame["duree_mois"], errors="coerce")
    frame["date"] = pd.to_datetime(frame["date"], errors="coerce")


def _finish(frame: pd.DataFrame, problems: list[str] | None = None, where: list[str] | None = None,
            records: int | None = None) -> pd.DataFrame:
    """Clean the rows read; `frame.attrs` then holds the French `problems` (one line per contract or value left
    out), the number of `records` in the file and of `duplicates` dropped."""
    problems = problems if problems is not None else []
    where = where or [f"ligne {i + 2}" for i in range(len(frame))]
    _clean_values(frame, problems, where)
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
    described = frame["objet"].str.len() > 3
    for position in [i for i, ok in enumerate(described) if not ok]:
        problems.append(f"{where[position]} : objet du marché absent ou trop court : ignoré")
    frame = frame[described]
    # The same contract is often published by several sources: keep one row per (id, object, amount).
    described_count = len(frame)
    frame = frame.drop_duplicates(subset=["id", "objet", "montant"]).reset_index(drop=True)
    frame = frame[COLUMNS]
    frame.attrs["problems"] = problems
    frame.attrs["records"] = records if records is not None else len(where)
    frame.attrs["duplicates"] = described_count - len(frame)
    return frame


FLAT_COLUMNS = ["id", "objet", "codeCPV", "procedure", "montant", "dureeMois", "dateNotification", "acheteur_id",
                "acheteur_nom", "lieu_code", "lieu_typeCode", "titulaires_siret"]


# The consolidated tabular DECP of data.gouv.fr (decp.csv of decp-processing, 2024 format): one row per contract and
# holder, considerationsSociales as comma-joined text ("Sans objet" for none).
CONSOLIDATED_REQUIRED = ["id", "objet", "codeCPV", "montant", "dateNotification", "acheteur_id", "titulaire_id"]
CONSOLIDATED_OPTIONAL = ["uid", "acheteur_nom", "procedure", "dureeMois", "lieuExecution_code", "lieuExecution_typeCode",
                         "considerationsSociales", "donneesActuelles"]
FORMATS_FR = ("formats attendus : DECP consolidées de data.gouv.fr (decp.csv : uid, id, objet, codeCPV, montant, "
              "dateNotification, acheteur_id, titulaire_id, considerationsSociales…), export aplati 2019 (objet, codeCPV, "
              "montant, acheteur_nom, titulaires_siret…) ou JSON 2024")


def read_flat_csv(path: Path) -> pd.DataFrame:
    """A DECP CSV: the consolidated 2024 tabular export of data.gouv.fr, or the flattened 2019-format export."""
    raw = _read_csv(Path(path))
    if "titulaire_id" in raw.columns and "titulaires_siret" not in raw.columns:
        return _read_consolidated(raw)
    missing = [column for column in FLAT_COLUMNS if column not in raw.columns]
    if missing:
        raise ProcureError(f"Export DECP CSV : colonne(s) absente(s) : {', '.join(missing)} ({FORMATS_FR}).")
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


def _read_consolidated(raw: pd.DataFrame) -> pd.DataFrame:
    """decp.csv: rows grouped by contract (uid, else buyer and id), holders joined, social considerations read from
    their column (unknown values reported) and from the object."""
    missing = [column for column in CONSOLIDATED_REQUIRED if column not in raw.columns]
    if missing:
        raise ProcureError(f"Export DECP consolidé : colonne(s) absente(s) : {', '.join(missing)}"
                           + (" — sans l'objet des marchés, ils ne peuvent servir de marchés comparables" if "objet" in missing else "")
                           + f" ({FORMATS_FR}).")
    raw = raw.copy()
    for column in CONSOLIDATED_OPTIONAL:
        if column not in raw.columns:
            raw[column] = ""
    problems = []
    if raw.attrs.get("bad_lines"):
        problems.append(f"{raw.attrs['bad_lines']} ligne(s) mal formée(s) (nombre de colonnes incorrect) ignorée(s)")
    raw["line"] = range(2, len(raw) + 2)
    # A modified contract has a row per version: the current one says donneesActuelles = true.
    outdated = raw["donneesActuelles"].str.strip().str.lower().isin(["false", "faux", "0"])
    raw = raw[~outdated]
    raw["contract"] = raw["uid"].where(raw["uid"].str.strip() != "", raw["acheteur_id"] + raw["id"])
    has_social = bool(raw["considerationsSociales"].str.strip().ne("").any())
    holders = raw.groupby("contract", sort=False)["titulaire_id"].agg(
        lambda ids: "|".join(dict.fromkeys(h for h in (_clean(i).strip() for i in ids) if h)))
    firsts = raw.drop_duplicates("contract")
    rows, where = [], []
    for first in firsts.itertuples(index=False):
        label = f"ligne {first.line} (id {_shown(_clean(first.id)[:60])})"
        notes: list[str] = []
        social = set(social_kinds(split_social_text(first.considerationsSociales), notes))
        problems.extend(f"{label} : {note}" for note in notes)
        rows.append({
            "id": first.id, "objet": first.objet, "cpv_raw": first.codeCPV, "procedure": first.procedure,
            "montant": first.montant, "duree_mois": first.dureeMois, "date": first.dateNotification,
            "acheteur_id": first.acheteur_id, "acheteur_nom": first.acheteur_nom or first.acheteur_id,
            "lieu_code": first.lieuExecution_code, "lieu_type": first.lieuExecution_typeCode,
            "titulaires": holders[first.contract],
            "social": ",".join(sorted(social | set(social_from_text(repair_text(first.objet))))),
            "source_format": "decp-consolide",
        })
        where.append(label)
    frame = pd.DataFrame(rows, columns=["id", "objet", "cpv_raw", "procedure", "montant", "duree_mois", "date",
                                        "acheteur_id", "acheteur_nom", "lieu_code", "lieu_type", "titulaires",
                                        "social", "source_format"])
    frame = _finish(frame, problems, where, records=len(rows))
    frame.attrs["social_column"] = has_social
    return frame


def _read_csv(path: Path) -> pd.DataFrame:
    _check_file(path)
    bad_lines: list[list[str]] = []
    try:
        # The python engine lets bad lines be counted and reported instead of silently dropped.
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, engine="python", sep=_separator(path),
                          on_bad_lines=lambda fields: bad_lines.append(fields), encoding_errors="replace")
    except (gzip.BadGzipFile, EOFError, zlib.error, OSError) as exc:
        raise ProcureError("Export DECP illisible : l'archive compressée (.gz) est corrompue ou tronquée.") from exc
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as exc:
        raise ProcureError("Export DECP illisible : ce n'est pas un fichier CSV valide.") from exc
    raw.attrs["bad_lines"] = len(bad_lines)
    return raw


def _separator(path: Path) -> str:
    """"," as data.gouv.fr publishes DECP; ";" for a file saved by a French spreadsheet."""
    try:
        opener = gzip.open if path.suffix.lower() == ".gz" else open
        with opener(path, "rb") as handle:
            header = handle.readline(65536)
    except (gzip.BadGzipFile, EOFError, zlib.error, OSError):
        return ","  # read_csv gives the French message
    return ";" if header.count(b";") > header.count(b",") else ","


def _check_file(path: Path) -> None:
    input_file_size(path)


def read_2024_json(path: Path) -> pd.DataFrame:
    """The 2024 format (schema_decp_v2.0.2.json): {"marches": {"marche": [...]}} with considerationsSociales.

    A contract with a field of the wrong type (a text where a list is expected, a list where a text is…) is left
    out and reported in French, with its number in the file, its id and the field
    (`frame.attrs["problems"]`); the other contracts are kept. A file whose top level is wrong is refused with a
    ProcureError. considerationsSociales is read as the schema gives it (an object holding a list) and as the
    consolidated data.gouv export writes it (a text of comma-joined values, "Sans objet" for none).
    """
    marches, problems = _contracts(_load_json(Path(path)))
    rows, where = [], []
    for position, marche in enumerate(marches):
        label = _record_label(position, marche)
        notes: list[str] = []
        try:
            rows.append(_contract_row(marche, notes))
            where.append(label)
        except SchemaProblem as problem:
            problems.append(f"{label} : {problem.message_fr} : ignoré")
        problems.extend(f"{label} : {note}" for note in notes)
    frame = pd.DataFrame(rows, columns=["id", "objet", "cpv_raw", "procedure", "montant", "duree_mois", "date",
                                        "acheteur_id", "acheteur_nom", "lieu_code", "lieu_type", "titulaires",
                                        "social", "source_format"])
    return _finish(frame, problems, where, records=len(marches))


def _record_label(position: int, marche) -> str:
    """« marché 12 (id 2025-001) »: its rank in the file, counted from 1, and its id when it is readable."""
    identifier = marche.get("id") if isinstance(marche, dict) else None
    if isinstance(identifier, (str, int)) and not isinstance(identifier, bool):
        shown = _clean(str(identifier)).strip()
        if shown:
            return f"marché {position + 1} (id {_shown(shown[:60])})"
    return f"marché {position + 1}"


class SchemaProblem(Exception):
    """A field of the wrong type: `message_fr` names the field, what it should be and what it is."""

    def __init__(self, field: str, expected: str, value=None, message: str | None = None):
        self.field = field
        if message is None:
            message = f"devrait être {expected}, {_found(value)}"
        self.message_fr = f"le champ « {field} » {message}" if field else f"ce marché {message}"
        super().__init__(self.message_fr)


def _found(value) -> str:
    if value is None:
        return "il est vide (null)"
    return f"c'est {_json_type(value)}"


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


def _contracts(data) -> tuple[list, list[str]]:
    """The list of contracts, and the French notes about what the file holds besides (concessions)."""
    if not isinstance(data, dict):
        raise ProcureError(f"Export DECP JSON invalide : $ doit être un objet {{\"marches\": …}}, trouvé {_json_type(data)}.")
    if "marches" not in data:
        keys = ", ".join(f"« {_shown(str(key)[:40])} »" for key in list(data)[:5]) or "aucune"
        raise ProcureError("Export DECP JSON invalide : la clé « marches » est absente (clés trouvées : "
                           f"{keys}) ; format attendu : {{\"marches\": {{\"marche\": [...]}}}}.")
    marches, notes = data["marches"], []
    if isinstance(marches, dict):
        concessions = marches.get("contrat-concession")
        if isinstance(concessions, list) and concessions:
            notes.append(f"{len(concessions)} contrat(s) de concession ignoré(s) : procure n'importe que les marchés")
        marches = marches.get("marche", [])
        path = "$.marches.marche"
    else:
        path = "$.marches"
    if not isinstance(marches, list):
        raise ProcureError(f"Export DECP JSON invalide : {path} doit être une liste de marchés, trouvé {_json_type(marches)}.")
    return marches, notes


def _contract_row(marche, notes: list[str]) -> dict:
    marche = _expect(marche, dict, "")
    identifier = _scalar(marche.get("id", ""), "id")
    objet = _text(marche.get("objet", ""), "objet")
    social = _social_2024(marche.get("considerationsSociales"), notes)
    holders = []
    for index, item in enumerate(_expect(_absent_as(marche.get("titulaires"), []), list, "titulaires"), start=1):
        item = _expect(item, dict, f"titulaires[{index}]")
        holder = _expect(item.get("titulaire", item), dict, f"titulaires[{index}].titulaire")
        holders.append(_scalar(holder.get("id", ""), f"titulaires[{index}].titulaire.id"))
    place = _optional(marche.get("lieuExecution"), dict, "lieuExecution")
    acheteur = _optional(marche.get("acheteur"), dict, "acheteur")
    notification = marche.get("dateNotification")
    return {
        "id": identifier[:100], "objet": objet, "cpv_raw": _scalar(marche.get("codeCPV", ""), "codeCPV"),
        "procedure": _text(marche.get("procedure", ""), "procedure")[:100],
        "montant": _raw_number(marche.get("montant"), "montant"),
        "duree_mois": _raw_number(marche.get("dureeMois"), "dureeMois"),
        "date": notification if isinstance(notification, str) else _raw_number(notification, "dateNotification"),
        "acheteur_id": _scalar(acheteur.get("id", ""), "acheteur.id")[:20],
        "acheteur_nom": _text(acheteur.get("nom", ""), "acheteur.nom")[:300] or _scalar(acheteur.get("id", ""), "acheteur.id")[:300],
        "lieu_code": _scalar(place.get("code", ""), "lieuExecution.code")[:10],
        "lieu_type": _scalar(place.get("typeCode", ""), "lieuExecution.typeCode")[:50],
        "titulaires": "|".join(holders)[:2000],
        "social": ",".join(sorted(set(social) | set(social_from_text(repair_text(objet))))),
        "source_format": "decp-2024",
    }


def _absent_as(value, default):
    return default if value is None or value == "" else value


def _social_2024(value, notes: list[str]) -> list[str]:
    """considerationsSociales: {"considerationSociale": [...]} (schema), or a text of comma-joined values
    (consolidated export), or a bare list; an unknown value is noted and left aside, the contract kept."""
    field = "considerationsSociales"
    if isinstance(value, dict):
        value, field = value.get("considerationSociale"), "considerationsSociales.considerationSociale"
    if value is None or value == "":
        return []
    if isinstance(value, str):
        values = split_social_text(value)
    elif isinstance(value, list):
        values = []
        for index, item in enumerate(value, start=1):
            if not isinstance(item, str):
                raise SchemaProblem(f"{field}[{index}]", "un texte (« Clause sociale »…)", item)
            values.extend(split_social_text(item))
    else:
        expected = "une liste ou un texte" if "." in field else "un objet {« considerationSociale » : [...]} ou un texte"
        raise SchemaProblem(field, expected, value)
    return social_kinds(values, notes)


def split_social_text(text: str) -> list[str]:
    """"Clause sociale, Critère social" -> both; "['Clause sociale']" (a list printed as text) -> one."""
    return [piece.strip(" '\"[]") for piece in str(text).split(",") if piece.strip(" '\"[]")]


SOCIAL_BY_FOLDED = {fold(label): kind for label, kind in SOCIAL_2024.items()}
NONE_FOLDED = {fold(label) for label in SOCIAL_NONE}


def social_kinds(values: list[str], notes: list[str]) -> list[str]:
    kinds = []
    for value in values:
        folded = fold(" ".join(value.split()))
        if folded in SOCIAL_BY_FOLDED:
            kinds.append(SOCIAL_BY_FOLDED[folded])
        elif folded not in NONE_FOLDED:
            notes.append(f"considération sociale « {_shown(value[:80])} » inconnue : laissée de côté (valeurs "
                         "attendues : Clause sociale, Critère social, Marché réservé, Sans objet)")
    return kinds


def _expect(value, kind: type, path: str):
    if not isinstance(value, kind):
        raise SchemaProblem(path, {dict: "un objet", list: "une liste"}[kind], value)
    return value


def _optional(value, kind: type, path: str):
    return {} if value is None else _expect(value, kind, path)


def _scalar(value, path: str) -> str:
    """An identifier or code: text or number, never an object or a list."""
    if isinstance(value, (dict, list)):
        raise SchemaProblem(path, "un texte ou un nombre", value)
    if isinstance(value, float) and not math.isfinite(value):
        raise SchemaProblem(path, "", message="n'est pas un nombre fini")
    text = "" if value is None else str(value) if not isinstance(value, int) or abs(value) < 10**30 else "?"
    return _clean(text)


def _text(value, path: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise SchemaProblem(path, "un texte", value)
    return _clean(value)


def _raw_number(value, path: str):
    """Kept as given for parse_amount / parse_months / parse_date; only structures are refused here."""
    if isinstance(value, (dict, list)):
        raise SchemaProblem(path, "un nombre", value)
    return value


def _clean(text: str) -> str:
    return "".join(ch for ch in text if ch.isprintable() or ch == " ")


def read_any(path: Path) -> pd.DataFrame:
    """A whole DECP file (JSON, CSV, .gz, Parquet) as one cleaned frame, read by the streamed reader; `attrs` hold
    the French problems, the records read and the duplicates dropped. The frame is held in memory, so a JSON file
    above MAX_JSON_BYTES is refused here; `import_decp` streams any size into the database and the store."""
    path = Path(path)
    if path.suffix.lower() == ".json":
        size = input_file_size(path)
        if size > MAX_JSON_BYTES:
            raise ProcureError(f"Export DECP JSON trop volumineux ({size / 1048576:.0f} Mo, limite "
                               f"{MAX_JSON_BYTES // 1048576} Mo) : découpez-le (par année ou par région), ou importez-le "
                               "avec « procure decp import », qui le lit par morceaux.")
    return read_streamed(path)


def social_share_by_division(frame: pd.DataFrame) -> pd.DataFrame:
    """Per CPV division: contracts, and share showing a social provision (in their object or 2024 field)."""
    known = frame.dropna(subset=["division"])
    grouped = known.groupby("division").agg(contracts=("id", "size"), social=("social", lambda s: (s != "").sum()))
    grouped["share"] = grouped["social"] / grouped["contracts"]
    return grouped.sort_values("contracts", ascending=False)


# ---------------------------------------------------------------- streamed import (national files)
#
# `stream_contracts` reads a DECP file of any size in batches, with bounded memory: CSV (plain or .gz) through
# pandas' C reader in chunks, Parquet through DuckDB, JSON through an incremental decoder of the `marche` list.
# The consolidated format (one row per contract and holder) is staged in a DuckDB file and grouped by contract
# there, whatever the order of its rows. Each batch is cleaned as `_finish` cleans a whole file (same values, same
# French reports), vectorised: a value takes the slow, explained path only when the fast one cannot read it.

BATCH_ROWS = 50_000
STREAM_COLUMNS = COLUMNS + ["nature", "kind", "key"]


class StreamStats:
    """What a streamed read saw: records in the file, duplicates dropped, French problems (one per record or value)."""

    def __init__(self) -> None:
        self.records = 0
        self.duplicates = 0
        self.kept = 0
        self.problems: list[str] = []
        self.social_column = False
        self._seen: set[int] = set()  # 64-bit prefixes of the contract keys already read from this file

    @property
    def ignored(self) -> int:
        return max(0, self.records - self.kept - self.duplicates)


def contract_key(identifier: str, objet: str, montant) -> str:
    """The public_contracts key: sha1 of id, object and amount as ContractRepository.import_frame writes it."""
    import hashlib

    return hashlib.sha1(f"{identifier}|{objet}|{montant}".encode()).hexdigest()


def stream_contracts(path: Path, stats: StreamStats | None = None, batch_rows: int = BATCH_ROWS,
                     progress=None):
    """Cleaned contracts of a DECP file, batch by batch (frames of STREAM_COLUMNS); `stats` collects the counts and
    French problems. Raises ProcureError (French) for a file that cannot be read as a whole."""
    path = Path(path)
    stats = stats if stats is not None else StreamStats()
    report = progress or (lambda fraction, text: None)
    _check_file(path)
    suffix = path.name.lower()
    if suffix.endswith(".json"):
        batches = _json_batches(path, stats, batch_rows, report)
    elif suffix.endswith(".parquet"):
        batches = _parquet_batches(path, stats, batch_rows, report)
    else:
        batches = _csv_batches(path, stats, batch_rows, report)
    for frame in batches:
        if len(frame):
            yield frame


# ---------------------------------------------------------------- fast cleaning of one batch

_PLAIN_NUMBER = r"\d{1,12}(?:\.\d+)?"
_PLAIN_DATE = r"\d{4}-\d{2}-\d{2}"


def _fast_numbers(values: pd.Series, parser, limit: float | None) -> tuple[pd.Series, list[tuple[int, str]]]:
    """Plain numbers read vectorised; anything else through `parser` (one call per distinct value)."""
    if values.dtype == object and not all(isinstance(v, str) for v in values):
        return _slow_values(values, parser)
    text = values.astype(str)
    plain = text.str.fullmatch(_PLAIN_NUMBER)
    numbers = pd.to_numeric(text.where(plain), errors="coerce")
    if limit is not None:
        too_big = plain & (numbers > limit)
        plain, numbers = plain & ~too_big, numbers.where(~too_big)
    rest = ~plain & (text.str.strip() != "")
    if not rest.any():
        return numbers.astype(float), []
    slow, problems = _slow_values(text[rest], parser)
    numbers = numbers.astype(float)
    numbers[rest] = pd.to_numeric(slow, errors="coerce").astype(float)
    return numbers, problems


def _fast_dates(values: pd.Series) -> tuple[pd.Series, list[tuple[int, str]]]:
    if values.dtype == object and not all(isinstance(v, str) for v in values):
        parsed, problems = _slow_values(values, parse_date)
        return pd.to_datetime(parsed, errors="coerce"), problems
    text = values.astype(str)
    plain = text.str.fullmatch(_PLAIN_DATE)
    dates = pd.to_datetime(text.where(plain), format="%Y-%m-%d", errors="coerce")
    plain = plain & dates.notna() & dates.dt.year.between(1990, 2100)
    rest = ~plain & (text.str.strip() != "")
    dates = dates.where(plain)
    if not rest.any():
        return dates, []
    slow, problems = _slow_values(text[rest], parse_date)
    dates[rest] = pd.to_datetime(slow, errors="coerce")
    return dates, problems


def _slow_values(values: pd.Series, parser) -> tuple[pd.Series, list[tuple[int, str]]]:
    """`parser` value by value, its French problem kept with the value's position in the batch."""
    results, problems, cache = [], [], {}
    for position, value in zip(values.index, values.tolist(), strict=True):
        cacheable = isinstance(value, str)
        if cacheable and value in cache:
            result, problem = cache[value]
        else:
            result, problem = parser(value)
            if cacheable:
                cache[value] = (result, problem)
        results.append(result)
        if problem:
            problems.append((position, problem))
    return pd.Series(results, index=values.index, dtype=object), problems


def _per_distinct(values: pd.Series, function) -> pd.Series:
    """`function` once per distinct value (DECP repeat buyers, codes, procedures, objects)."""
    uniques = pd.unique(values)
    mapping = {value: function(value) for value in uniques}
    return values.map(mapping)


def _clean_text(value, width: int) -> str:
    text = "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)
    if not text.isprintable():
        text = _clean(text)
    return text[:width]


_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def _social_from_objects(objects: pd.Series) -> pd.Series:
    """social_from_text over a column: folded with pandas' string methods, one regex pass per kind."""
    folded = (objects.map(repair_text).str.lower().str.normalize("NFKD").str.replace(_COMBINING, "", regex=True)
              .str.replace("’", "'", regex=False))
    found = [(kind, folded.str.contains(pattern, regex=True)) for kind, pattern in SOCIAL_IN_TEXT]
    result = pd.Series([""] * len(objects), index=objects.index, dtype=object)
    for kind, mask in found:
        result = result.where(~mask, result + "," + kind)
    return result.str.strip(",")


def _merge_social(explicit: pd.Series, from_text: pd.Series) -> pd.Series:
    """Sorted union of two comma-joined sets of kinds, as `",".join(sorted(a | b))`."""
    pairs = explicit.fillna("") + "|" + from_text.fillna("")
    return _per_distinct(pairs, lambda pair: ",".join(sorted({k for k in pair.replace("|", ",").split(",") if k})))


def _finish_batch(frame: pd.DataFrame, stats: StreamStats, label, problems: list[str] | None = None) -> pd.DataFrame:
    """`_finish` for one batch of a streamed file: same cleaning and French reports, duplicates dropped across the
    whole file (`stats`); `label(position)` names a record (« ligne 12 (id …) », « marché 3 »)."""
    problems = problems if problems is not None else []
    if frame.empty:
        stats.problems.extend(problems)
        return pd.DataFrame(columns=STREAM_COLUMNS)
    frame = frame.reset_index(drop=True)
    for column, kept in (("montant", "importé sans montant"), ("duree_mois", "importé sans durée"),
                         ("date", "importé sans date de notification")):
        if column == "date":
            values, found = _fast_dates(frame[column])
        else:
            values, found = _fast_numbers(frame[column], parse_amount if column == "montant" else parse_months,
                                          None if column == "montant" else 1200)
        frame[column] = values
        problems.extend(f"{label(position)} : {problem} ({kept})" for position, problem in found)
    frame["montant"] = pd.to_numeric(frame["montant"], errors="coerce").astype(float)
    frame["duree_mois"] = pd.to_numeric(frame["duree_mois"], errors="coerce").astype(float)
    frame["date"] = pd.to_datetime(frame["date"], errors="coerce")
    for column, width in (("objet", 5000), ("id", 100), ("procedure", 100), ("acheteur_id", 20), ("acheteur_nom", 300),
                          ("lieu_code", 10), ("lieu_type", 50), ("titulaires", 2000), ("nature", 50), ("kind", 50)):
        frame[column] = _per_distinct(frame[column], lambda text, width=width: _clean_text(text, width))
    cpv = _per_distinct(frame["cpv_raw"], lambda raw: normalize_cpv(str(raw or "")[:20]))
    frame["cpv"] = cpv.map(lambda c: c.code if c is not None and c.status != "unknown" else None)
    frame["division"] = frame["cpv"].str[:2]
    frame["group"] = frame["cpv"].str[:3]
    frame["objet"] = _per_distinct(frame["objet"], repair_text)
    frame["acheteur_nom"] = _per_distinct(frame["acheteur_nom"], repair_text)
    frame["year"] = frame["date"].dt.year
    described = frame["objet"].str.len() > 3
    problems.extend(f"{label(position)} : objet du marché absent ou trop court : ignoré"
                    for position in frame.index[~described])
    frame = frame[described]
    keys = [contract_key(i, o, m) for i, o, m in zip(frame["id"].tolist(), frame["objet"].tolist(),
                                                       frame["montant"].tolist(), strict=True)]
    fresh = []
    for key in keys:
        prefix = int(key[:16], 16)
        fresh.append(prefix not in stats._seen)
        stats._seen.add(prefix)
    frame = frame.assign(key=keys)[fresh]
    stats.duplicates += len(keys) - len(frame)
    stats.kept += len(frame)
    stats.problems.extend(problems)
    return frame[STREAM_COLUMNS].reset_index(drop=True)


# ---------------------------------------------------------------- CSV

CSV_FLAT_WANTED = FLAT_COLUMNS + ["nature"]
CSV_CONSOLIDATED_WANTED = CONSOLIDATED_REQUIRED + CONSOLIDATED_OPTIONAL + ["nature", "type"]


class _CountingFile:
    """A binary file that says how far it was read, for the progress of a streamed read."""

    def __init__(self, path: Path):
        self.raw = open(path, "rb")  # noqa: SIM115 - closed by close()
        self.size = max(1, path.stat().st_size)

    def fraction(self) -> float:
        try:
            return min(1.0, self.raw.tell() / self.size)
        except (OSError, ValueError):
            return 0.0

    def close(self) -> None:
        self.raw.close()


def _csv_header(path: Path, separator: str) -> list[str]:
    try:
        header = pd.read_csv(path, dtype=str, keep_default_na=False, sep=separator, nrows=0, encoding_errors="replace")
    except (gzip.BadGzipFile, EOFError, zlib.error, OSError) as exc:
        raise ProcureError("Export DECP illisible : l'archive compressée (.gz) est corrompue ou tronquée.") from exc
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as exc:
        raise ProcureError("Export DECP illisible : ce n'est pas un fichier CSV valide.") from exc
    return [str(column) for column in header.columns]


def _csv_chunks(path: Path, separator: str, columns: list[str], batch_rows: int, stats: StreamStats):
    """(chunk, first record number, fraction of the file read) for the wanted columns; lines with a wrong number of
    fields are reported one by one in French."""
    import warnings

    counter = _CountingFile(path)
    handle = gzip.GzipFile(fileobj=counter.raw) if path.name.lower().endswith(".gz") else counter.raw
    line = 2
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            # Every column is parsed (usecols would let a line with extra fields through unnoticed).
            reader = pd.read_csv(handle, dtype=str, keep_default_na=False, sep=separator, chunksize=batch_rows,
                                 on_bad_lines="warn", encoding_errors="replace", engine="c")
            for chunk in reader:
                chunk = chunk[columns]
                for warning in caught:
                    match = re.search(r"line (\d+): expected (\d+) fields, saw (\d+)", str(warning.message))
                    if match:
                        stats.problems.append(f"ligne {match.group(1)} : {match.group(3)} champs au lieu de "
                                              f"{match.group(2)} (ligne mal formée) : ignorée")
                caught.clear()
                yield chunk, line, counter.fraction()
                line += len(chunk)
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise ProcureError("Export DECP illisible : l'archive compressée (.gz) est corrompue ou tronquée.") from exc
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError, OSError) as exc:
        raise ProcureError("Export DECP illisible : ce n'est pas un fichier CSV valide.") from exc
    finally:
        counter.close()


def _csv_batches(path: Path, stats: StreamStats, batch_rows: int, report):
    separator = _separator(path)
    header = _csv_header(path, separator)
    if "titulaire_id" in header and "titulaires_siret" not in header:
        missing = [column for column in CONSOLIDATED_REQUIRED if column not in header]
        if missing:
            raise ProcureError(f"Export DECP consolidé : colonne(s) absente(s) : {', '.join(missing)}"
                               + (" — sans l'objet des marchés, ils ne peuvent servir de marchés comparables"
                                  if "objet" in missing else "") + f" ({FORMATS_FR}).")
        wanted = [column for column in dict.fromkeys(CSV_CONSOLIDATED_WANTED) if column in header]
        chunks = ((chunk, line, fraction) for chunk, line, fraction in
                  _csv_chunks(path, separator, wanted, batch_rows, stats))
        yield from _consolidated_batches(chunks, stats, batch_rows, report, path.name)
        return
    missing = [column for column in FLAT_COLUMNS if column not in header]
    if missing:
        raise ProcureError(f"Export DECP CSV : colonne(s) absente(s) : {', '.join(missing)} ({FORMATS_FR}).")
    wanted = [column for column in CSV_FLAT_WANTED if column in header]
    for chunk, line, fraction in _csv_chunks(path, separator, wanted, batch_rows, stats):
        stats.records += len(chunk)
        yield _flat_batch(chunk, line, stats)
        report(fraction, f"{path.name} : {stats.records:,} ligne(s) lue(s)".replace(",", "\u202f"))


def _flat_batch(chunk: pd.DataFrame, line: int, stats: StreamStats) -> pd.DataFrame:
    frame = pd.DataFrame({
        "id": chunk["id"], "objet": chunk["objet"], "cpv_raw": chunk["codeCPV"], "procedure": chunk["procedure"],
        "montant": chunk["montant"], "duree_mois": chunk["dureeMois"], "date": chunk["dateNotification"],
        "acheteur_id": chunk["acheteur_id"], "acheteur_nom": chunk["acheteur_nom"], "lieu_code": chunk["lieu_code"],
        "lieu_type": chunk["lieu_typeCode"], "titulaires": chunk["titulaires_siret"],
        "nature": chunk["nature"] if "nature" in chunk else "", "kind": "",
    }).reset_index(drop=True)
    frame["social"] = _social_from_objects(frame["objet"].astype(str))
    frame["source_format"] = "decp-2019"
    return _finish_batch(frame, stats, lambda position: f"ligne {line + position}")


# ---------------------------------------------------------------- consolidated rows, grouped by contract in DuckDB

_STAGED = ["uid", "id", "objet", "codeCPV", "procedure", "montant", "dureeMois", "dateNotification", "acheteur_id",
           "acheteur_nom", "lieuExecution_code", "lieuExecution_typeCode", "considerationsSociales", "titulaire_id",
           "nature", "type", "donneesActuelles"]


def _duckdb_connection(folder: str):
    import duckdb

    connection = duckdb.connect(str(Path(folder) / "staging.duckdb"))
    connection.execute(f"SET memory_limit = '{DUCKDB_MEMORY}'")
    connection.execute(f"SET temp_directory = '{Path(folder) / 'spill'}'")
    connection.execute("SET preserve_insertion_order = false")
    return connection


DUCKDB_MEMORY = "300MB"  # DuckDB spills to its temporary folder beyond this


def _consolidated_batches(chunks, stats: StreamStats, batch_rows: int, report, name: str, connection=None):
    """Rows of (chunk, first record number, fraction read) staged, then one contract per uid (else buyer + id) with
    every holder once, in the order of the file; the version of a modified contract that is current is kept."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="procure-decp-") as folder:
        own = connection is None
        connection = connection or _duckdb_connection(folder)
        try:
            connection.execute("CREATE TABLE raw (line BIGINT, " + ", ".join(f'"{c}" VARCHAR' for c in _STAGED) + ")")
            for chunk, line, fraction in chunks:
                staged = pd.DataFrame({column: (chunk[column].astype(str) if column in chunk else "")
                                       for column in _STAGED}, index=chunk.index)
                staged.insert(0, "line", range(line, line + len(chunk)))
                connection.register("chunk", staged)
                connection.execute("INSERT INTO raw SELECT * FROM chunk")
                connection.unregister("chunk")
                report(0.5 * fraction, f"{name} : lecture, {line + len(chunk) - 2:,} ligne(s)".replace(",", "\u202f"))
            yield from _grouped(connection, stats, batch_rows, report, name)
        finally:
            if own:
                connection.close()


def _grouped(connection, stats: StreamStats, batch_rows: int, report, name: str):
    stats.social_column = bool(connection.execute(
        "SELECT count(*) FROM raw WHERE trim(considerationsSociales) <> ''").fetchone()[0])
    # Small tables first (the first line and the holders of each contract), then the rows of those first lines:
    # DuckDB keeps only keys and line numbers in memory and spills the sort to its temporary folder.
    connection.execute("""
        CREATE VIEW current AS
        SELECT *, CASE WHEN trim(uid) <> '' THEN uid ELSE acheteur_id || id END AS contract FROM raw
        WHERE lower(trim(donneesActuelles)) NOT IN ('false', 'faux', '0')""")
    connection.execute("CREATE TABLE firsts AS SELECT contract, min(line) AS line FROM current GROUP BY contract")
    connection.execute("""
        CREATE TABLE holders AS
        SELECT contract, string_agg(holder, '|' ORDER BY first) AS titulaires FROM (
            SELECT contract, trim(titulaire_id) AS holder, min(line) AS first FROM current
            WHERE trim(titulaire_id) <> '' GROUP BY ALL) GROUP BY contract""")
    total = connection.execute("SELECT count(*) FROM firsts").fetchone()[0]
    stats.records += total
    # Page by line ranges (the raw rows were staged in line order, so DuckDB skips the other row groups): each
    # page is a small query, never one result of the whole file held in memory.
    lines = connection.execute("SELECT line FROM firsts ORDER BY line").fetchnumpy()["line"]
    done = 0
    for start in range(0, total, batch_rows):
        low, high = int(lines[start]), int(lines[min(start + batch_rows, total) - 1])
        chunk = connection.execute("""
            SELECT r.*, coalesce(h.titulaires, '') AS titulaires
            FROM (SELECT * FROM firsts WHERE line BETWEEN $low AND $high) AS f
            JOIN raw AS r ON r.line = f.line LEFT JOIN holders AS h ON h.contract = f.contract
            WHERE r.line BETWEEN $low AND $high ORDER BY r.line""", {"low": low, "high": high}).fetchdf()
        yield _consolidated_batch(chunk, stats)
        done += len(chunk)
        report(0.5 + 0.5 * done / max(1, total), f"{name} : {done:,} marché(s) sur {total:,}".replace(",", "\u202f"))
    del lines


def _consolidated_batch(chunk: pd.DataFrame, stats: StreamStats) -> pd.DataFrame:
    chunk = chunk.fillna("").reset_index(drop=True)
    lines, ids = chunk["line"].tolist(), chunk["id"].tolist()

    def label(position: int) -> str:
        return f"ligne {lines[position]} (id {_shown(_clean(str(ids[position]))[:60])})"

    notes_by_value: dict[str, tuple[str, list[str]]] = {}
    for value in pd.unique(chunk["considerationsSociales"]):
        notes: list[str] = []
        notes_by_value[value] = (",".join(sorted(set(social_kinds(split_social_text(value), notes)))), notes)
    problems = []
    for position, value in enumerate(chunk["considerationsSociales"].tolist()):
        problems.extend(f"{label(position)} : {note}" for note in notes_by_value[value][1])
    explicit = chunk["considerationsSociales"].map(lambda value: notes_by_value[value][0])
    frame = pd.DataFrame({
        "id": chunk["id"], "objet": chunk["objet"], "cpv_raw": chunk["codeCPV"], "procedure": chunk["procedure"],
        "montant": chunk["montant"], "duree_mois": chunk["dureeMois"], "date": chunk["dateNotification"],
        "acheteur_id": chunk["acheteur_id"],
        "acheteur_nom": chunk["acheteur_nom"].where(chunk["acheteur_nom"] != "", chunk["acheteur_id"]),
        "lieu_code": chunk["lieuExecution_code"], "lieu_type": chunk["lieuExecution_typeCode"],
        "titulaires": chunk["titulaires"], "nature": chunk["nature"], "kind": chunk["type"],
    })
    frame["social"] = _merge_social(explicit, _social_from_objects(frame["objet"].astype(str)))
    frame["source_format"] = "decp-consolide"
    return _finish_batch(frame, stats, label, problems)


# ---------------------------------------------------------------- Parquet

def _parquet_batches(path: Path, stats: StreamStats, batch_rows: int, report):
    """A Parquet file of the consolidated format (decp-processing) or of the flat 2019 columns, read by DuckDB."""
    import tempfile

    import duckdb

    with tempfile.TemporaryDirectory(prefix="procure-decp-") as folder:
        connection = _duckdb_connection(folder)
        try:
            try:
                columns = [row[0] for row in connection.execute(
                    "DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()]
            except duckdb.Error as exc:
                raise ProcureError("Export DECP illisible : ce n'est pas un fichier Parquet valide.") from exc

            def text(column: str) -> str:
                return f"coalesce(CAST(\"{column}\" AS VARCHAR), '')" if column in columns else "''"

            consolidated = "titulaire_id" in columns and "titulaires_siret" not in columns
            required = CONSOLIDATED_REQUIRED if consolidated else FLAT_COLUMNS
            missing = [column for column in required if column not in columns]
            if missing:
                raise ProcureError(f"Export DECP Parquet : colonne(s) absente(s) : {', '.join(missing)} ({FORMATS_FR}).")
            if consolidated:
                stats_line = "row_number() OVER () + 1"
                connection.execute("CREATE TABLE raw AS SELECT " + stats_line + " AS line, "
                                   + ", ".join(f'{text(c)} AS "{c}"' for c in _STAGED)
                                   + " FROM read_parquet(?)", [str(path)])
                report(0.5, f"{path.name} : lu")
                yield from _grouped(connection, stats, batch_rows, report, path.name)
                return
            total = connection.execute("SELECT count(*) FROM read_parquet(?)", [str(path)]).fetchone()[0]
            result = connection.execute("SELECT " + ", ".join(f'{text(c)} AS "{c}"' for c in CSV_FLAT_WANTED)
                                        + " FROM read_parquet(?)", [str(path)])
            line = 2
            while True:
                chunk = result.fetch_df_chunk(max(1, batch_rows // 2048))
                if chunk.empty:
                    break
                stats.records += len(chunk)
                yield _flat_batch(chunk, line, stats)
                line += len(chunk)
                report(stats.records / max(1, total), f"{path.name} : {stats.records} ligne(s) lue(s)")
        finally:
            connection.close()


# ---------------------------------------------------------------- JSON, decoded incrementally

_JSON_FR = {"Expecting value": "valeur attendue", "Expecting ',' delimiter": "virgule attendue",
            "Expecting ':' delimiter": "deux-points attendu", "Unterminated string starting at": "texte non terminé",
            "Expecting property name enclosed in double quotes": "nom de champ entre guillemets attendu",
            "Extra data": "données en trop", "Invalid control character at": "caractère de contrôle interdit",
            "Invalid \\escape": "échappement invalide", "Invalid \\uXXXX escape": "échappement \\u invalide"}


class _JsonStream:
    """Values of a large JSON document decoded one at a time (json.raw_decode over a sliding buffer)."""

    CHUNK = 1 << 20

    def __init__(self, path: Path):
        self.counter = _CountingFile(path)
        import codecs

        self.decoder = codecs.getincrementaldecoder("utf-8-sig")("strict")
        self.json = json.JSONDecoder()
        self.buffer = ""
        self.position = 0
        self.eof = False
        self.lines_before = 0  # newlines in the text already dropped from the buffer

    def close(self) -> None:
        self.counter.close()

    def _fill(self) -> None:
        data = self.counter.raw.read(self.CHUNK)
        try:
            text = self.decoder.decode(data, final=not data)
        except UnicodeDecodeError as exc:
            raise ProcureError("Export DECP JSON illisible : il n'est pas encodé en UTF-8.") from exc
        if not data:
            self.eof = True
        dropped = self.buffer[:self.position]
        self.lines_before += dropped.count("\n")
        self.buffer = self.buffer[self.position:] + text
        self.position = 0

    def peek(self) -> str | None:
        while True:
            while self.position < len(self.buffer) and self.buffer[self.position] in " \t\r\n":
                self.position += 1
            if self.position < len(self.buffer):
                return self.buffer[self.position]
            if self.eof:
                return None
            self._fill()

    def expect(self, character: str) -> None:
        found = self.peek()
        if found != character:
            self._invalid(f"« {character} » attendu" + (f", « {found} » trouvé" if found else ", fin du fichier"))
        self.position += 1

    def value(self):
        """The next JSON value, decoded whole."""
        self.peek()
        while True:
            try:
                value, end = self.json.raw_decode(self.buffer, self.position)
            except json.JSONDecodeError as exc:
                if not self.eof:
                    self._fill()
                    continue
                self._invalid(_JSON_FR.get(exc.msg, exc.msg), exc.pos)
            except RecursionError as exc:
                raise ProcureError("Export DECP JSON refusé : structure imbriquée trop profondément.") from exc
            except (ValueError, MemoryError) as exc:  # an integer of more than 4 300 digits
                raise ProcureError("Export DECP JSON refusé : une valeur est démesurée.") from exc
            if end >= len(self.buffer) and not self.eof:  # a number may go on in the next block
                self._fill()
                continue
            self.position = end
            return value

    def _invalid(self, message: str, position: int | None = None):
        position = self.position if position is None else position
        before = self.buffer[:position]
        line = self.lines_before + before.count("\n") + 1
        column = position - (before.rfind("\n") + 1) + 1
        raise ProcureError(f"Export DECP JSON invalide (ligne {line}, colonne {column}) : {message}.")

    def items(self):
        """Keys of the object that starts here, each followed by the caller reading (or skipping) its value."""
        self.expect("{")
        if self.peek() == "}":
            self.position += 1
            return
        while True:
            key = self.value()
            if not isinstance(key, str):
                self._invalid("nom de champ entre guillemets attendu")
            self.expect(":")
            yield key
            following = self.peek()
            if following == ",":
                self.position += 1
                continue
            self.expect("}")
            return

    def elements(self):
        """The values of the list that starts here, one by one."""
        self.expect("[")
        if self.peek() == "]":
            self.position += 1
            return
        while True:
            yield self.value()
            if self.peek() == ",":
                self.position += 1
                continue
            self.expect("]")
            return


def _json_kind(character: str | None) -> str:
    return {"[": "une liste", "{": "un objet", '"': "un texte", "n": "null", "t": "un booléen",
            "f": "un booléen", None: "rien"}.get(character, "un nombre")


def _json_records(stream: _JsonStream, notes: list[str]):
    """The contracts of {"marches": {"marche": [...]}} or {"marches": [...]}, as the document is read."""
    first = stream.peek()
    if first != "{":
        if first is None:
            raise ProcureError("Le fichier est vide (0 octet).")
        raise ProcureError(f"Export DECP JSON invalide : $ doit être un objet {{\"marches\": …}}, trouvé {_json_kind(first)}.")
    keys, found = [], False
    for key in stream.items():
        keys.append(key)
        if key != "marches" or found:
            stream.value()
            continue
        found = True
        kind = stream.peek()
        if kind == "[":
            yield from stream.elements()
        elif kind == "{":
            for inner in stream.items():
                if inner == "marche":
                    if stream.peek() != "[":
                        raise ProcureError("Export DECP JSON invalide : $.marches.marche doit être une liste de marchés, "
                                           f"trouvé {_json_kind(stream.peek())}.")
                    yield from stream.elements()
                elif inner == "contrat-concession" and stream.peek() == "[":
                    count = sum(1 for _ in stream.elements())
                    if count:
                        notes.append(f"{count} contrat(s) de concession ignoré(s) : procure n'importe que les marchés")
                else:
                    stream.value()
        else:
            raise ProcureError(f"Export DECP JSON invalide : $.marches doit être une liste de marchés, trouvé {_json_kind(kind)}.")
    if stream.peek() is not None:
        stream._invalid("données en trop après le document")
    if not found:
        shown = ", ".join(f"« {_shown(str(key)[:40])} »" for key in keys[:5]) or "aucune"
        raise ProcureError("Export DECP JSON invalide : la clé « marches » est absente (clés trouvées : "
                           f"{shown}) ; format attendu : {{\"marches\": {{\"marche\": [...]}}}}.")


def _json_batches(path: Path, stats: StreamStats, batch_rows: int, report):
    stream = _JsonStream(path)
    notes: list[str] = []
    rows, labels, problems = [], [], []
    try:
        for position, marche in enumerate(_json_records(stream, notes)):
            stats.records += 1
            label = _record_label(position, marche)
            record_notes: list[str] = []
            try:
                row = _contract_row(marche, record_notes)
                row["nature"], row["kind"] = _scalar(marche.get("nature", ""), "nature")[:50], ""
                rows.append(row)
                labels.append(label)
            except SchemaProblem as problem:
                problems.append(f"{label} : {problem.message_fr} : ignoré")
            problems.extend(f"{label} : {note}" for note in record_notes)
            if len(rows) >= batch_rows:
                yield _json_frame(rows, labels, problems, stats)
                rows, labels, problems = [], [], []
                report(stream.counter.fraction(), f"{path.name} : {stats.records} marché(s) lu(s)")
        stats.problems.extend(notes)
        yield _json_frame(rows, labels, problems, stats)
    finally:
        stream.close()


def _json_frame(rows: list[dict], labels: list[str], problems: list[str], stats: StreamStats) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["id", "objet", "cpv_raw", "procedure", "montant", "duree_mois", "date",
                                        "acheteur_id", "acheteur_nom", "lieu_code", "lieu_type", "titulaires",
                                        "social", "source_format", "nature", "kind"])
    return _finish_batch(frame, stats, lambda position: labels[position], problems)


# ---------------------------------------------------------------- streamed import into the database and the store

KEY_LOOKUP = 5_000  # keys looked up per query when telling new contracts from those already stored


class ImportReport:
    """One streamed import: counts and the French problems (one per record or value set aside)."""

    def __init__(self, stats: StreamStats):
        self.stats = stats
        self.added = 0
        self.unchanged = 0
        self.store_added = 0

    @property
    def records(self) -> int:
        return self.stats.records

    @property
    def problems(self) -> list[str]:
        return self.stats.problems

    def summary_fr(self) -> str:
        ignored, duplicates = self.stats.ignored, self.stats.duplicates
        problems = len(self.stats.problems)
        return (f"{self.records} marché(s) lu(s) : {self.added} ajouté(s), {self.unchanged} déjà présent(s)"
                + (f", {ignored} ignoré(s)" if ignored else "")
                + (f", {duplicates} doublon(s) écarté(s)" if duplicates else "")
                + (f" ; {problems} remarque(s)" if problems else ""))


def import_decp(path: Path, sessions, store=None, progress=None, batch_rows: int = BATCH_ROWS) -> ImportReport:
    """Stream a DECP file into public_contracts (bulk inserts, batch by batch, one transaction: a file that fails
    half-way leaves nothing) and into the Parquet analysis store. Idempotent: a contract already stored (same id,
    object and amount) is counted unchanged and not written again, in the table as in the store."""
    from procure.market.analytics import ContractStore

    store = store if store is not None else ContractStore()
    report = ImportReport(StreamStats())
    with store.staging() as staging, sessions.begin() as session:
        for batch in stream_contracts(path, report.stats, batch_rows, progress):
            added = _insert_batch(session, batch)
            report.added += added
            report.unchanged += len(batch) - added
            staging.write(batch.rename(columns={"id": "source_id", "date": "notified"}))
        if report.stats.kept == 0:
            return report  # nothing to write: the caller says why
        session.flush()
        report.store_added = store.commit(staging)
    return report


def _insert_batch(session, batch: pd.DataFrame) -> int:
    """Insert the contracts of `batch` whose key is not stored yet; how many were inserted."""
    from sqlalchemy import select

    from procure.db.models import PublicContract

    keys = batch["key"].tolist()
    known: set[str] = set()
    for start in range(0, len(keys), KEY_LOOKUP):
        known.update(session.scalars(select(PublicContract.key).where(PublicContract.key.in_(keys[start:start + KEY_LOOKUP]))))
    fresh = batch[~batch["key"].isin(known)]
    if fresh.empty:
        return 0
    rows = pd.DataFrame({
        "key": fresh["key"], "source_id": fresh["id"].str[:100], "objet": fresh["objet"], "cpv": fresh["cpv"],
        "division": fresh["division"], "procedure": fresh["procedure"].where(fresh["procedure"] != "", None),
        "montant": fresh["montant"], "year": fresh["year"],
        "acheteur_id": fresh["acheteur_id"].str[:20].where(fresh["acheteur_id"] != "", None),
        "acheteur_nom": fresh["acheteur_nom"].str[:300].where(fresh["acheteur_nom"] != "", None),
        "lieu_code": fresh["lieu_code"].str[:10].where(fresh["lieu_code"] != "", None),
        "titulaires": fresh["titulaires"].where(fresh["titulaires"] != "", None), "social": fresh["social"].fillna(""),
        "source_format": fresh["source_format"],
    }).astype(object)
    rows = rows.where(rows.notna(), None)
    records = rows.to_dict("records")
    for record in records:
        if record["year"] is not None:
            record["year"] = int(record["year"])
        if record["montant"] is not None:
            record["montant"] = float(record["montant"])
    statement = _insert_ignoring_duplicates(session, PublicContract.__table__)
    result = session.execute(statement, records)
    counted = result.rowcount if isinstance(result.rowcount, int) and result.rowcount >= 0 else len(records)
    return min(counted, len(records))


def _insert_ignoring_duplicates(session, table):
    """INSERT … ON CONFLICT (key) DO NOTHING: another import storing the same contract at the same time is no error."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - procure runs on SQLite or PostgreSQL
        from sqlalchemy import insert as plain_insert

        return plain_insert(table)
    return insert(table).on_conflict_do_nothing(index_elements=["key"])


def read_streamed(path: Path, batch_rows: int = BATCH_ROWS) -> pd.DataFrame:
    """The whole file as one frame through the streamed reader (tests, small files); attrs as read_any's."""
    stats = StreamStats()
    frames = list(stream_contracts(path, stats, batch_rows))
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=STREAM_COLUMNS)
    frame.attrs.update(problems=stats.problems, records=stats.records, duplicates=stats.duplicates,
                       social_column=stats.social_column)
    return frame
