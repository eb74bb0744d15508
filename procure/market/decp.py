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
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, nrows=MAX_ROWS + 1, engine="python", sep=_separator(path),
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
    if len(marches) > MAX_ROWS:
        raise ProcureError(f"Export DECP trop long : {len(marches)} marchés (limite {MAX_ROWS}) ; découpez-le.")
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
