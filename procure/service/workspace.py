"""The working space of buyers and of the responsible-purchasing working group, over the database.

Access rules: a buyer sees its organisation's tenders (a DCE is confidential before publication);
reviewers see the tenders shared with the group; admins see everything. Every review action is kept
in `review_events`; decisions carry a version so that two reviewers never overwrite each other silently.
"""
from __future__ import annotations

import hashlib
import json
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError, VerifyMismatchError
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from procure.db.models import (DocumentRow, LotRow, MatchRow, Organisation, ReviewEvent, SuggestionRow, SupplierRow,
                               TenderRow, User)

ROLES = {"buyer": "Acheteur", "reviewer": "Membre du groupe de travail", "admin": "Administrateur"}
DECISIONS_FR = {"pending": "à examiner", "accepted": "acceptée", "rejected": "rejetée"}
MATCHES_PER_LOT = 10
_hasher = PasswordHasher()


class AccessDenied(Exception):
    """The user may not do this; the message is French."""


class ReviewConflict(Exception):
    """Someone else changed the decision since the user loaded it."""


@dataclass(frozen=True)
class UserInfo:
    id: int
    email: str
    display_name: str
    role: str
    organisation_id: int
    organisation: str


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _now() -> datetime:
    return datetime.now(timezone.utc)


class Workspace:
    def __init__(self, sessions: sessionmaker[Session]):
        self.sessions = sessions

    # ------------------------------------------------------------------ people

    def create_organisation(self, name: str, demo: bool = False) -> int:
        with self.sessions.begin() as session:
            existing = session.scalar(select(Organisation).where(Organisation.name == name))
            if existing:
                return existing.id
            organisation = Organisation(name=name, demo=demo)
            session.add(organisation)
            session.flush()
            return organisation.id

    def create_user(self, email: str, password: str, display_name: str, role: str, organisation_id: int) -> int:
        if role not in ROLES:
            raise ValueError(f"rôle inconnu : {role}")
        if len(password) < 8:
            raise ValueError("le mot de passe doit comporter au moins 8 caractères")
        with self.sessions.begin() as session:
            user = User(email=email.strip().lower(), display_name=display_name, password_hash=hash_password(password),
                        role=role, organisation_id=organisation_id)
            session.add(user)
            session.flush()
            return user.id

    def set_password(self, email: str, password: str) -> None:
        with self.sessions.begin() as session:
            user = session.scalar(select(User).where(User.email == email.strip().lower()))
            user.password_hash = hash_password(password)

    def authenticate(self, email: str, password: str) -> UserInfo | None:
        with self.sessions.begin() as session:
            user = session.scalar(select(User).where(User.email == email.strip().lower(), User.active.is_(True)))
            if user is None:
                _hasher.hash(password)  # same cost whether or not the address exists
                return None
            try:
                _hasher.verify(user.password_hash, password)
            except (VerifyMismatchError, VerificationError):
                return None
            if _hasher.check_needs_rehash(user.password_hash):
                user.password_hash = hash_password(password)
            return self._info(session, user)

    def users(self, actor: UserInfo) -> list[UserInfo]:
        self._require_admin(actor)
        with self.sessions() as session:
            return [self._info(session, u) for u in session.scalars(select(User).order_by(User.email))]

    def organisations(self) -> list[tuple[int, str]]:
        with self.sessions() as session:
            return [(o.id, o.name) for o in session.scalars(select(Organisation).order_by(Organisation.name))]

    @staticmethod
    def _info(session: Session, user: User) -> UserInfo:
        organisation = session.get(Organisation, user.organisation_id)
        return UserInfo(user.id, user.email, user.display_name, user.role, user.organisation_id, organisation.name)

    @staticmethod
    def _require_admin(actor: UserInfo) -> None:
        if actor.role != "admin":
            raise AccessDenied("Accès réservé aux administrateurs.")

    # ------------------------------------------------------------------ tenders

    def create_tender(self, actor: UserInfo, title: str, shared_with_group: bool = False) -> int:
        with self.sessions.begin() as session:
            tender = TenderRow(organisation_id=actor.organisation_id, title=title.strip() or "Consultation sans titre",
                               shared_with_group=shared_with_group, created_by=actor.id)
            session.add(tender)
            session.flush()
            return tender.id

    def add_documents(self, actor: UserInfo, tender_id: int, files: list[tuple[str, bytes]]) -> list[str]:
        """Store files (a file already present, by content, is skipped); returns the names stored."""
        stored = []
        with self.sessions.begin() as session:
            tender = self._tender_for(session, actor, tender_id, write=True)
            known = set(session.scalars(select(DocumentRow.sha256).where(DocumentRow.tender_id == tender.id)))
            for name, content in files:
                digest = hashlib.sha256(content).hexdigest()
                if digest in known:
                    continue
                known.add(digest)
                session.add(DocumentRow(tender_id=tender.id, filename=Path(name).name, sha256=digest, size=len(content),
                                        content=content, uploaded_by=actor.id))
                stored.append(Path(name).name)
        return stored

    def set_shared(self, actor: UserInfo, tender_id: int, shared: bool) -> None:
        with self.sessions.begin() as session:
            self._tender_for(session, actor, tender_id, write=True).shared_with_group = shared

    def visible_tenders(self, actor: UserInfo) -> list[dict]:
        with self.sessions() as session:
            query = select(TenderRow, Organisation.name).join(Organisation, Organisation.id == TenderRow.organisation_id)
            query = query.where(self._visibility(actor)).order_by(TenderRow.created_at.desc(), TenderRow.id.desc())
            return [{"id": t.id, "title": t.title, "reference": t.reference, "organisation": org,
                     "shared": t.shared_with_group, "version": t.analysis_version, "created_at": t.created_at}
                    for t, org in session.execute(query)]

    def _visibility(self, actor: UserInfo):
        if actor.role == "admin":
            return TenderRow.id.is_not(None)
        if actor.role == "reviewer":
            return or_(TenderRow.shared_with_group.is_(True), TenderRow.organisation_id == actor.organisation_id)
        return TenderRow.organisation_id == actor.organisation_id

    def _tender_for(self, session: Session, actor: UserInfo, tender_id: int, write: bool = False) -> TenderRow:
        tender = session.scalar(select(TenderRow).where(TenderRow.id == tender_id, self._visibility(actor)))
        if tender is None:
            raise AccessDenied("Consultation introuvable ou non partagée avec vous.")
        if write and actor.role != "admin" and tender.organisation_id != actor.organisation_id:
            raise AccessDenied("Seul l'acheteur de la consultation peut la modifier.")
        return tender

    def documents(self, actor: UserInfo, tender_id: int) -> list[dict]:
        with self.sessions() as session:
            tender = self._tender_for(session, actor, tender_id)
            rows = session.scalars(select(DocumentRow).where(DocumentRow.tender_id == tender.id).order_by(DocumentRow.id))
            return [{"id": d.id, "filename": d.filename, "size": d.size, "doc_type": d.doc_type, "problem": d.problem,
                     "sha256": d.sha256} for d in rows]

    # ------------------------------------------------------------------ analysis

    def load_tender(self, actor: UserInfo, tender_id: int):
        """Re-read the stored files into a Tender (the evidence needs the text, not a summary)."""
        from procure.extract import analyze

        with self.sessions() as session:
            tender = self._tender_for(session, actor, tender_id)
            documents = session.scalars(select(DocumentRow).where(DocumentRow.tender_id == tender.id).order_by(DocumentRow.id)).all()
            files = [(d.filename, d.content) for d in documents]
        with tempfile.TemporaryDirectory(prefix="procure-tender-") as folder:
            paths = []
            for index, (name, content) in enumerate(files):
                path = Path(folder) / f"{index}_{name}"
                path.write_bytes(content)
                paths.append((path, name))
            return analyze(paths)

    def analyse(self, actor: UserInfo, tender_id: int, progress: Callable[[float, str], None] | None = None):
        """(Re-)analyse a tender: lots, suggestions and matches of a new version; decisions carry over."""
        from procure.matching.match import SupplierIndex
        from procure.advice.suggest import suggest
        from procure.directory.suppliers import SupplierRepository

        notify = progress or (lambda fraction, text: None)
        with self.sessions() as session:
            self._tender_for(session, actor, tender_id, write=True)
        notify(0.1, "Lecture des documents…")
        tender = self.load_tender(actor, tender_id)
        notify(0.5, "Suggestions de clauses…")
        advice = suggest(tender)
        self._add_similar(advice)
        notify(0.7, "Recherche des structures inclusives…")
        suppliers = SupplierRepository(self.sessions).all()
        index = SupplierIndex(suppliers) if suppliers else None
        with self.sessions.begin() as session:
            row = self._tender_for(session, actor, tender_id, write=True)
            previous = self._decisions(session, row.id, row.analysis_version)
            row.analysis_version += 1
            row.analysis_json = json.dumps(tender.to_dict(), ensure_ascii=False)
            row.analysed_at = _now()
            if tender.reference:
                row.reference = str(tender.reference.value)[:100]
            if tender.object and row.title.startswith("Consultation"):
                row.title = str(tender.object.value)[:500]
            self._store_problems(session, row.id, tender)
            supplier_ids = {s: i for s, i in session.execute(select(SupplierRow.siret, SupplierRow.id))}
            for lot_advice in advice.lots:
                self._store_lot(session, row, lot_advice, index, supplier_ids, previous)
        notify(1.0, "Analyse terminée.")
        return advice

    def _add_similar(self, advice) -> None:
        from procure.market.similar import ContractRepository, SimilarIndex, add_similar_evidence

        contracts = ContractRepository(self.sessions).frame()
        if not contracts.empty:
            add_similar_evidence(advice, SimilarIndex(contracts))

    def _store_problems(self, session: Session, tender_id: int, tender) -> None:
        problems = {p.file: p.message for p in tender.problems}
        types = {d.file: d.doc_type for d in tender.documents}
        for document in session.scalars(select(DocumentRow).where(DocumentRow.tender_id == tender_id)):
            document.problem = problems.get(document.filename)
            document.doc_type = types.get(document.filename)

    def _store_lot(self, session, tender_row, lot_advice, index, supplier_ids, previous) -> None:
        from procure.matching.match import LotQuery
        from procure.model import Commune, to_jsonable

        lot = lot_advice.lot
        place = lot.place.value if lot.place and isinstance(lot.place.value, Commune) else None
        lot_row = LotRow(tender_id=tender_row.id, analysis_version=tender_row.analysis_version, number=lot.number,
                         title=lot.title.value if lot.title else None, cpv=lot_advice.cpv,
                         amount_ht=float(lot_advice.amount_ht) if lot_advice.amount_ht is not None else None,
                         commune_insee=place.insee if place else None)
        session.add(lot_row)
        session.flush()
        for suggestion in lot_advice.suggestions:
            payload = to_jsonable(suggestion)
            existing = payload.pop("existing", None)
            payload["existing_hours"] = existing.get("hours") if existing else None
            row = SuggestionRow(lot_id=lot_row.id, lever_id=suggestion.lever_id, score=suggestion.score,
                                status=suggestion.status, payload_json=json.dumps(payload, ensure_ascii=False))
            self._carry_over(row, previous.get(("suggestion", lot.number, suggestion.lever_id)))
            session.add(row)
        if index is None:
            return
        lever = _matching_lever(lot_advice)
        result = index.match(LotQuery.from_lot(lot, lever), top=MATCHES_PER_LOT)
        for rank, match in enumerate(result.ranked, 1):
            row = MatchRow(lot_id=lot_row.id, supplier_id=supplier_ids[match.supplier.siret], lever_id=lever, rank=rank,
                           score=match.score, distance_km=match.distance_km, explanation=match.explanation_fr)
            self._carry_over(row, previous.get(("match", lot.number, match.supplier.siret)))
            session.add(row)

    @staticmethod
    def _carry_over(row, decision: tuple[str, int | None, datetime | None] | None) -> None:
        row.decision, row.version = "pending", 1
        if decision:
            row.decision, row.decided_by, row.decided_at = decision

    def _decisions(self, session: Session, tender_id: int, version: int) -> dict:
        found = {}
        lots = {l.id: l.number for l in session.scalars(select(LotRow).where(LotRow.tender_id == tender_id,
                                                                                  LotRow.analysis_version == version))}
        if not lots:
            return found
        for s in session.scalars(select(SuggestionRow).where(SuggestionRow.lot_id.in_(lots))):
            if s.decision != "pending":
                found[("suggestion", lots[s.lot_id], s.lever_id)] = (s.decision, s.decided_by, s.decided_at)
        query = select(MatchRow, SupplierRow.siret).join(SupplierRow, SupplierRow.id == MatchRow.supplier_id)
        for m, siret in session.execute(query.where(MatchRow.lot_id.in_(lots))):
            if m.decision != "pending":
                found[("match", lots[m.lot_id], siret)] = (m.decision, m.decided_by, m.decided_at)
        return found

    # ------------------------------------------------------------------ review

    def review_items(self, actor: UserInfo, tender_id: int) -> dict:
        """Lots of the latest analysis with their suggestions and matches and their decisions."""
        with self.sessions() as session:
            tender = self._tender_for(session, actor, tender_id)
            names = dict(session.execute(select(User.id, User.display_name)).all())
            lots = session.scalars(select(LotRow).where(LotRow.tender_id == tender.id,
                                                        LotRow.analysis_version == tender.analysis_version)
                                   .order_by(LotRow.number)).all()
            result = {"tender": {"id": tender.id, "title": tender.title, "reference": tender.reference,
                                 "version": tender.analysis_version, "shared": tender.shared_with_group,
                                 "analysis": json.loads(tender.analysis_json) if tender.analysis_json else None},
                      "lots": []}
            for lot in lots:
                suggestions = session.scalars(select(SuggestionRow).where(SuggestionRow.lot_id == lot.id)
                                              .order_by(SuggestionRow.score.desc(), SuggestionRow.id)).all()
                matches = session.execute(select(MatchRow, SupplierRow).join(SupplierRow, SupplierRow.id == MatchRow.supplier_id)
                                          .where(MatchRow.lot_id == lot.id).order_by(MatchRow.rank)).all()
                result["lots"].append({
                    "number": lot.number, "title": lot.title, "cpv": lot.cpv, "amount_ht": lot.amount_ht,
                    "suggestions": [{"id": s.id, "lever_id": s.lever_id, "score": s.score, "status": s.status,
                                     "decision": s.decision, "version": s.version, "decided_by": names.get(s.decided_by),
                                     "decided_at": s.decided_at, **json.loads(s.payload_json)} for s in suggestions],
                    "matches": [{"id": m.id, "rank": m.rank, "score": m.score, "distance_km": m.distance_km,
                                 "explanation": m.explanation, "lever_id": m.lever_id, "decision": m.decision,
                                 "version": m.version, "decided_by": names.get(m.decided_by), "decided_at": m.decided_at,
                                 "supplier": {"siret": sup.siret, "name": sup.name, "kinds": sup.kinds, "demo": sup.demo,
                                              "commune": sup.commune_name, "latitude": sup.latitude,
                                              "longitude": sup.longitude}} for m, sup in matches],
                })
            return result

    def can_review(self, actor: UserInfo, tender_id: int) -> bool:
        with self.sessions() as session:
            tender = self._tender_for(session, actor, tender_id)
            return actor.role in ("admin", "reviewer") or tender.organisation_id == actor.organisation_id

    def review(self, actor: UserInfo, target_type: str, target_id: int, action: str, expected_version: int,
               comment: str | None = None) -> int:
        """Accept, reject or comment; returns the new version. Raises ReviewConflict when the version moved."""
        model = {"suggestion": SuggestionRow, "match": MatchRow}[target_type]
        if action not in ("accept", "reject", "comment", "reset"):
            raise ValueError(action)
        if action == "comment" and not (comment or "").strip():
            raise ValueError("commentaire vide")
        with self.sessions.begin() as session:
            target = session.get(model, target_id)
            if target is None:
                raise AccessDenied("Élément introuvable.")
            lot = session.get(LotRow, target.lot_id)
            tender = self._tender_for(session, actor, lot.tender_id)
            if not (actor.role in ("admin", "reviewer") or tender.organisation_id == actor.organisation_id):
                raise AccessDenied("Vous ne pouvez pas examiner cette consultation.")
            new_version = expected_version
            if action != "comment":
                decision = {"accept": "accepted", "reject": "rejected", "reset": "pending"}[action]
                # The WHERE on version makes the update atomic: a concurrent decision leaves rowcount at 0.
                updated = session.execute(update(model).where(model.id == target_id, model.version == expected_version)
                                          .values(decision=decision, version=expected_version + 1, decided_by=actor.id,
                                                  decided_at=_now()))
                if updated.rowcount != 1:
                    raise ReviewConflict("Un autre membre du groupe a modifié cette décision entre-temps : "
                                         "rechargez la page pour voir son choix avant de décider.")
                new_version = expected_version + 1
            session.add(ReviewEvent(tender_id=tender.id, target_type=target_type, target_id=target_id, action=action,
                                    comment=(comment or "").strip() or None, user_id=actor.id,
                                    target_version=expected_version, analysis_version=tender.analysis_version))
            return new_version

    def history(self, actor: UserInfo, tender_id: int) -> list[dict]:
        with self.sessions() as session:
            tender = self._tender_for(session, actor, tender_id)
            query = (select(ReviewEvent, User.display_name).join(User, User.id == ReviewEvent.user_id)
                     .where(ReviewEvent.tender_id == tender.id).order_by(ReviewEvent.created_at, ReviewEvent.id))
            return [{"when": e.created_at, "who": name, "action": e.action, "target_type": e.target_type,
                     "target_id": e.target_id, "comment": e.comment, "version": e.target_version,
                     "analysis_version": e.analysis_version} for e, name in session.execute(query)]

    # ------------------------------------------------------------------ outputs

    def annex(self, actor: UserInfo, tender_id: int, out: Path) -> Path:
        """Word annex of the suggestions not rejected, with the suppliers the group accepted."""
        from procure.outputs.annex import write_annex
        from procure.advice.suggest import suggest

        tender = self.load_tender(actor, tender_id)
        advice = suggest(tender)
        items = self.review_items(actor, tender_id)
        decisions = {(lot["number"], s["lever_id"]): s["decision"] for lot in items["lots"] for s in lot["suggestions"]}
        suppliers = {lot["number"]: [f"{m['supplier']['name']} ({', '.join(m['supplier']['kinds'].split(','))}, "
                                     f"{m['supplier']['commune'] or 'commune inconnue'})"
                                     + (" — structure fictive de démonstration" if m["supplier"]["demo"] else "")
                                     for m in lot["matches"] if m["decision"] == "accepted"] for lot in items["lots"]}
        for lot_advice in advice.lots:
            number = lot_advice.lot.number
            lot_advice.suggestions = [s for s in lot_advice.suggestions if decisions.get((number, s.lever_id)) != "rejected"]
            for s in lot_advice.suggestions:
                if decisions.get((number, s.lever_id)) == "accepted":
                    s.status = f"{s.status}, retenue par le groupe de travail"
        return write_annex(advice, out, suppliers=suppliers)

    def dashboard(self, actor: UserInfo) -> dict:
        with self.sessions() as session:
            tenders = session.scalars(select(TenderRow).where(self._visibility(actor))).all()
            ids = [t.id for t in tenders]
            latest = {t.id: t.analysis_version for t in tenders}
            lots = [l for l in session.scalars(select(LotRow).where(LotRow.tender_id.in_(ids)))
                    if l.analysis_version == latest[l.tender_id]] if ids else []
            lot_ids = [l.id for l in lots]
            suggestions = session.scalars(select(SuggestionRow).where(SuggestionRow.lot_id.in_(lot_ids))).all() if lot_ids else []
            accepted_matches = session.scalar(select(func.count(MatchRow.id)).where(
                MatchRow.lot_id.in_(lot_ids), MatchRow.decision == "accepted")) if lot_ids else 0
        by_lever: dict[str, dict[str, int]] = {}
        hours = 0
        for s in suggestions:
            entry = by_lever.setdefault(s.lever_id, {"suggested": 0, "accepted": 0, "rejected": 0, "present": 0})
            entry["suggested"] += 1
            entry["present"] += s.status.startswith("déjà")
            if s.decision in ("accepted", "rejected"):
                entry[s.decision] += 1
            payload = json.loads(s.payload_json)
            if s.lever_id == "insertion_clause" and s.decision == "accepted" and payload.get("hours"):
                hours += payload["hours"]["hours"]
        return {"tenders": len(tenders), "lots": len(lots), "amount_ht": sum(l.amount_ht or 0 for l in lots),
                "by_lever": by_lever, "accepted_insertion_hours": hours, "accepted_matches": accepted_matches or 0}


def _matching_lever(lot_advice) -> str | None:
    """A lot already reserved admits only its kinds; otherwise an insertion clause orients the ranking."""
    levers = {s.lever_id: s for s in lot_advice.suggestions}
    for lever_id, suggestion in levers.items():
        if lever_id.startswith("reserved_") and suggestion.status.startswith("déjà"):
            return lever_id
    return "insertion_clause" if "insertion_clause" in levers else None
