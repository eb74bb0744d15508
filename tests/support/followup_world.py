"""A follow-up world for the tests of issue 25: buyers, the working group, two facilitators, an analysed works tender
whose CCAP requires 3 000 insertion hours per year with a penalty of 100 € per hour not done, and statement files
written in the shipped template's columns."""
from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import dce
from procure.followup.statements import TEMPLATE_COLUMNS
from procure.service.workspace import SYSTEM, Workspace

PASSWORD = "motdepasse-solide"

CCAP_3000 = [
    (dce.H, "CAHIER DES CLAUSES ADMINISTRATIVES PARTICULIÈRES"),
    (dce.P, "Objet du marché : Travaux de réhabilitation du groupe scolaire Joliot-Curie"),
    (dce.H, "Article 9 – Clause sociale d'insertion"),
    (dce.P, "Le titulaire de chaque lot devra réaliser 3 000 heures d'insertion par année d'exécution du marché au profit "
            "de publics éloignés de l'emploi (clause sociale d'insertion, article L. 2112-2 du code de la commande "
            "publique)."),
    (dce.P, "Le facilitateur de la clause est la Maison de l'emploi du territoire, à qui le titulaire adresse chaque mois "
            "le relevé des heures réalisées."),
    (dce.H, "Article 14 – Pénalités"),
    (dce.P, "Pénalités : après mise en demeure restée sans effet, toute heure d'insertion non réalisée du fait du "
            "titulaire donne lieu à une pénalité de 100 € par heure."),
]


def works_tender_3000(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [dce.write_pdf(folder / "RC_travaux.pdf", dce.WORKS_RC),
            dce.write_docx(folder / "CCAP_insertion.docx", CCAP_3000)]


def build_world(sessions, folder: Path, shared: bool = True) -> dict:
    """Organisations and users of every role, the analysed tender of town A and its commitments."""
    ws = Workspace(sessions)
    orgs = {name: ws.create_organisation(label, actor=SYSTEM) for name, label in (
        ("town_a", "Ville A"), ("town_b", "Ville B"), ("group", "Groupe de travail"),
        ("mde", "Maison de l'emploi"), ("plie", "PLIE du Val"))}
    people = {"buyer_a": ("buyer", "town_a"), "buyer_b": ("buyer", "town_b"), "reviewer_g": ("reviewer", "group"),
              "facilitator_m": ("facilitator", "mde"), "facilitator_p": ("facilitator", "plie"),
              "admin": ("admin", "group")}
    for name, (role, organisation) in people.items():
        ws.create_user(f"{name}@x.fr", PASSWORD, name.replace("_", " "), role, orgs[organisation], actor=SYSTEM)
    users = {name: ws.authenticate(f"{name}@x.fr", PASSWORD) for name in people}
    tender_id = ws.create_tender(users["buyer_a"], "Travaux Joliot-Curie", shared)
    files = works_tender_3000(folder)
    ws.add_documents(users["buyer_a"], tender_id, [(p.name, p.read_bytes()) for p in files])
    ws.analyse(users["buyer_a"], tender_id)
    return {"ws": ws, "orgs": orgs, "users": users, "tender": tender_id}


def statement_csv(rows: list[dict]) -> bytes:
    """A statement file in the template's columns: each row {field id or column: value}."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    columns = list(TEMPLATE_COLUMNS.values())
    writer.writerow(columns)
    for row in rows:
        values = {TEMPLATE_COLUMNS.get(k, k): v for k, v in row.items()}
        writer.writerow([values.get(column, "") for column in columns])
    return buffer.getvalue().encode("utf-8")


def months(year: int, first: int, last: int) -> list[date]:
    return [date(year, m, 1) for m in range(first, last + 1)]
