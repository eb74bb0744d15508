"""Analyse a tender: read every file, then extract a `Tender` with evidence."""
from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from procure.errors import ProcureError
from procure.extract.award import award_in_text
from procure.extract.document import build_doctext
from procure.extract.merge import build_tender
from procure.extract.nature import read_declared_nature
from procure.extract.readers import ReadContext, reader_for
from procure.extract.reading import ROLE_RANK, Reading, read_dates, read_defence_security
from procure.extract.roles import classify
from procure.extract.social import extract_provisions
from procure.ingest import IngestError, ReadDocument, read_document
from procure.model import FileProblem, Tender
from procure.reference.cpv import load_nomenclature
from procure.vocabulary import DocumentRole, Layout

if TYPE_CHECKING:
    from procure.market.classifier import Prediction

Progress = Callable[[int, int, str], None]
logger = logging.getLogger(__name__)


def read_files(files: Iterable[str | Path | tuple[str | Path, str]], progress: Progress | None = None) -> tuple[list[ReadDocument], list[FileProblem]]:
    """Read each file on its own: one bad file never stops the others."""
    entries = [item if isinstance(item, tuple) else (item, Path(item).name) for item in files]
    documents, problems = [], []
    for position, (path, name) in enumerate(entries):
        if progress:
            progress(position, len(entries), name)
        try:
            document = read_document(path, name)
        except IngestError as error:
            problems.append(FileProblem(name, error.message_fr, fatal=True))
            continue
        documents.append(document)
        problems.extend(FileProblem(name, w.message, w.fatal) for w in document.warnings)
    if progress:
        progress(len(entries), len(entries), "")
    return documents, problems


def analyze_documents(documents: list[ReadDocument], problems: list[FileProblem] | None = None) -> Tender:
    tender = Tender(documents=[doc.info for doc in documents], problems=list(problems or []))
    nomenclature = load_nomenclature()
    readings = [reading for document in documents if (reading := _safe_reading(tender, document, nomenclature))]
    build_tender(tender, readings)
    tender.problems += [FileProblem(r.doc.name, warning, fatal=False) for r in readings for warning in r.warnings]
    extract_provisions(tender, readings)
    attach_coded_provisions(tender, readings)
    check_cpv_with_model(tender)
    check_cpv_nature(tender)
    return tender


PARTIAL_READING_FR = ("Lecture partielle : la mise en page de cette pièce n'a pas pu être interprétée ; "
                      "ses informations ne sont pas reprises dans l'analyse.")


def _safe_reading(tender: Tender, document: ReadDocument, nomenclature) -> Reading | None:
    """One piece's reading: a layout no rule foresaw costs that piece only, never the others."""
    try:
        return _reading(document, nomenclature)
    except ProcureError:
        raise  # a French error about procure itself (e.g. a broken clauses/ file) stops the whole analysis
    except Exception:  # noqa: BLE001 - any reader failure on an unforeseen layout is reported for this piece
        # Kept for maintainers at INFO level: Python's last-resort handler prints nothing below WARNING.
        logger.info("reading %s failed", document.info.file, exc_info=True)
        tender.problems.append(FileProblem(document.info.file, PARTIAL_READING_FR, fatal=False))
        return None


def _reading(document: ReadDocument, nomenclature) -> Reading:
    """The piece read by the first reader of the registry that recognises its layout."""
    text = build_doctext(document)
    reader = reader_for(document, text)
    text.role = reader.role or classify(document.info.file, text.text[:2500])
    text.layout = reader.layout
    document.info.doc_type = text.role
    reading = reader.read(ReadContext(text, document, ROLE_RANK.get(text.role, 5), nomenclature))
    if not reader.reads_dates:
        reading.dates = read_dates(text, reading.rank)
    if reading.defence_security is None:
        reading.defence_security = read_defence_security(text, reading.rank)
    if reading.declared_nature is None:
        reading.declared_nature = read_declared_nature(text, reading.rank)
    if text.role == DocumentRole.AVIS and reader.layout != Layout.EFORMS_DATA:  # the data reader reads BT-02 itself
        reading.warnings += [warning] if (warning := award_in_text(text)) else []
    return reading


def attach_coded_provisions(tender: Tender, readings: list[Reading]) -> None:
    """Provisions a notice states by code, unless the text already gave the same kind for the same lot (the
    sentence is the better evidence: it carries hours); a weight the code states completes the sentence's."""
    for reading in readings:
        for provision in reading.coded_provisions:
            same = [p for p in tender.provisions if p.kind == provision.kind]
            if provision.lot is not None and (lot := tender.lot(provision.lot)) is not None:
                same += [p for p in lot.provisions if p.kind == provision.kind]
            if same:
                for existing in same:
                    existing.weight_percent = existing.weight_percent or provision.weight_percent
                continue
            if provision.lot is None:  # a kind read for one lot stays there, with its hours; the code covers all lots
                tender.provisions.append(provision)
            elif (lot := tender.lot(provision.lot)) is not None:
                lot.provisions.append(provision)


# A declared CPV is doubted only when the model is both confident elsewhere and nearly excludes it.
DOUBT_DECLARED_BELOW = 0.02
DOUBT_WHEN_TOP_ABOVE = 0.6


# Below this probability the predicted division is shown as a hesitation, and drives nothing by itself.
SURE_PREDICTION = 0.35
# A lot without a code takes the division most other lots have (declared, or predicted with confidence) when at
# least two lots agree on it and the model gives it a fair chance: the lots of a works operation are all works.
SAME_TENDER_DIVISION_ABOVE = 0.05
SAME_TENDER_MIN_LOTS = 2
SAME_TENDER_SHARE = 0.6


def check_cpv_with_model(tender: Tender) -> None:
    """Predict a CPV division for lots without a declared code, from the lot and the tender's object; flag a
    declared CPV the model finds very unlikely, when the model runs for another lot of the tender (loading it
    costs seconds: a tender whose lots all declare a code does not pay for it; check_cpv_nature still checks
    those codes without a model)."""

    missing = [lot for lot in tender.lots if not lot.cpv]
    if not missing:  # whether the model was loaded by an earlier analysis must not change this one's result
        return
    from procure.market import classifier
    from procure.model import Fact

    bundle = classifier.load()
    if bundle is None:
        return
    tender_text = tender.object.value if tender.object else ""
    predictions = {}
    for lot in tender.lots:
        title = lot.title.value if lot.title else ""
        text = title if lot.cpv or not tender_text or tender_text in title else f"{title} — {tender_text}"
        predictions[lot.number] = classifier.predict(text, bundle)
    divisions = {lot.number: lot.cpv_codes[0].division if lot.cpv else _sure_division(predictions[lot.number])
                 for lot in tender.lots}
    for lot in tender.lots:
        prediction = predictions[lot.number]
        if prediction is None:
            continue
        if not lot.cpv:
            others = Counter(d for number, d in divisions.items() if number != lot.number and d)
            value = _prediction_value(prediction, others, sum(1 for n in divisions if n != lot.number))
            lot.predicted_cpv = Fact(value, lot.title.evidence if lot.title else None)
            continue
        _doubt(lot, lot.title.value if lot.title else "", prediction)


def _prediction_value(prediction, others: Counter, other_lots: int) -> dict:
    division, probability, basis = prediction.division, prediction.division_probability, "modèle"
    if others:
        common, count = others.most_common(1)[0]
        if (common != division and count >= SAME_TENDER_MIN_LOTS and count >= SAME_TENDER_SHARE * other_lots
                and prediction.probability_of(common) >= SAME_TENDER_DIVISION_ABOVE):
            division, probability, basis = common, prediction.probability_of(common), "division des autres lots"
    return {"division": division, "group": prediction.group if division == prediction.division else division + "0",
            "division_probability": round(probability, 3), "group_probability": round(prediction.group_probability, 3),
            "alternatives": prediction.alternatives, "sure": probability >= SURE_PREDICTION, "basis": basis}


def _doubt(lot, title: str, prediction) -> None:
    declared = lot.cpv_codes[0].division
    probability = prediction.probability_of(declared)
    if probability < DOUBT_DECLARED_BELOW and prediction.division_probability > DOUBT_WHEN_TOP_ABOVE:
        lot.cpv_doubt = (f"CPV déclaré peu probable pour « {title} » : division {declared} ({probability:.0%}) ; "
                         f"le modèle propose la division {prediction.division} ({prediction.division_probability:.0%}).")


# A lot title that opens on a service or a works trade: its CPV in a supplies division (03 to 44) is doubtful, and
# the levers proposed depend on it (an ethical-purchasing clause for "rédaction de contenus" coded as printed matter).
SERVICE_TITLE_RE = re.compile(
    r"^\W*(?:prestations?|redaction|maintenance|entretien|nettoyage|assistance|mission|etudes?|accompagnement|gestion|"
    r"conception|formation|surveillance|gardiennage|transport|collecte|traitement|audit|conseil|infogerance|"
    r"travaux|installation|renovation|rehabilitation|refection|amenagement)\b")
WORKS_DIVISION = "45"


def check_cpv_nature(tender: Tender) -> None:
    """Flag a declared code whose nature contradicts the lot: a supplies code for a service or works title, or a
    lot that is no works among lots that all are (lot 5 "Electricité-SSI" coded as a supply of electricity)."""
    from procure.text.normalize import fold

    declared = {lot.number: lot.cpv_codes[0].division for lot in tender.lots if lot.cpv}
    for lot in tender.lots:
        if lot.cpv_doubt or lot.number not in declared:
            continue
        code, division = lot.cpv_codes[0], declared[lot.number]
        title = lot.title.value if lot.title and not lot.title.inherited else ""
        others = [d for number, d in declared.items() if number != lot.number]
        if division < WORKS_DIVISION and title and SERVICE_TITLE_RE.match(fold(title)):
            lot.cpv_doubt = (f"le code CPV {code.code} désigne des fournitures (division {division}) alors que "
                             f"l'intitulé « {title} » décrit un service ou des travaux : vérifiez-le, les leviers "
                             "proposés en dépendent.")
        elif division != WORKS_DIVISION and len(others) >= 2 and set(others) == {WORKS_DIVISION}:
            lot.cpv_doubt = (f"les autres lots sont des travaux (division 45) mais le code CPV {code.code} de ce lot "
                             f"est de la division {division} : vérifiez-le, les leviers proposés en dépendent.")


def analyze_notices(path: str | Path) -> list[Tender]:
    """Each eForms notice of a file as a tender of its own (a BOAMP export holds many; a TED XML one). A file
    that cannot be read gives one unreadable tender with the French reason, like `analyze`."""
    from procure.ingest import read_notices

    name = Path(path).name
    try:
        documents = read_notices(path, name)
    except IngestError as error:
        return [Tender(problems=[FileProblem(name, error.message_fr, fatal=True)])]
    return [analyze_documents([document]) for document in documents]


def analyze(files: Iterable[str | Path | tuple[str | Path, str]], progress: Progress | None = None) -> Tender:
    documents, problems = read_files(files, progress)
    return analyze_documents(documents, problems)


def _sure_division(prediction: Prediction | None) -> str | None:
    """The predicted CPV division when the model is sure of it, else None."""
    return prediction.division if prediction and prediction.division_probability >= SURE_PREDICTION else None
