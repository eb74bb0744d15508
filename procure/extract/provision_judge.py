"""The judge of candidate sentences: which social provision a sentence states, if any.

A small linear model (TF-IDF of character and word n-grams, one logistic regression per provision kind), trained
by `scripts/train_provision_judge.py` with scikit-learn on labelled sentences (`models/provision_sentences/`),
shipped as NumPy arrays (`models/provision_judge.npz`) and applied here with NumPy alone, so that loading it
takes milliseconds and never imports scikit-learn. Model card: `models/PROVISION_CARD.md`.

Rules stay where a reader's knowledge is certain and data are few: a question of a questions–answers register,
a candidate form or a price schedule never states a provision; a negative answer ("Sans", "Non", an unchecked
box) cancels the phrase it answers; a profession reserved by law is no reserved contract.
"""
from __future__ import annotations

import functools
import logging
import math
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from procure.extract.candidates import ANY_AMOUNT_BY_OBJECT
from procure.model import ProvisionKind
from procure.settings import package_or_checkout_dir
from procure.vocabulary import DocumentRole

MODEL_FILE = "provision_judge.npz"
WORD_RE = re.compile(r"(?u)\b\w\w+\b")
WHITE_RE = re.compile(r"\s\s+")

# Pieces that never state a provision: candidate forms, answer frames, price schedules.
NO_PROVISION_PIECES = frozenset(role for role in DocumentRole
                                if not role.yields_provisions or role.traits.price_schedule)
QUESTION_RE = re.compile(r"\?|^\s*(?:question|q\s*\d|demande)\b|\bpouvez-vous\b|\bpourriez-vous\b|\best-il\s+possible\b|"
                         r"\bfaut-il\b|\bdoit-on\b|\bconfirmer\s+(?:que|si)\b|\bmerci\s+de\s+(?:preciser|confirmer|nous)")
ANSWER_RE = re.compile(r"^\s*(?:reponse|r\s*\d|r\s*:)")
# A negative answer to a label, right after it or in a box left unchecked.
NEGATIVE_ANSWER_RE = re.compile(r"(?:^|[:|]\s*)(?:non|sans|neant|aucune?|sans\s+objet|n/?a)\s*[.;]?\s*$|"
                                r":\s*(?:non|sans|neant|aucune?|sans\s+objet)\b(?!\s+(?:seulement|uniquement|moins))|"
                                r":\s*(?:no|none)\s*\(|[☐□❑]\s*(?:oui)?\s*$|^\s*[☐□❑]|\boui\s*[☐□❑]\s*non\s*[☒☑■x]|[☐□❑]\s*oui\s*[☒☑■x]\s*non")
# "Oui ☒ Non ☐" or "☒ Oui ☐ Non": the box left unchecked is the "Non" one, the answer is yes.
CHECKED_YES_RE = re.compile(r"\boui\s*[☒☑■x]\s*non\s*[☐□❑]|[☒☑■]\s*oui\s*[☐□❑]\s*non")
NEGATIVE_SENTENCE_RE = re.compile(
    r"n'(?:est|sont|a|ont)\s+pas\s+(?:\w+\s+){0,2}(?:reserve|prevue?s?|soumise?s?|applicables?|imposee?s?|retenue?s?)|"
    r"ne\s+(?:comporte|prevoit|contient|fait\s+l'objet\s+d|sera\s+pas|seront\s+pas)\w*\s+(?:pas|aucune?)|"
    r"\b(?:pas|aucune?)\s+(?:de\s+)?(?:clauses?\s+sociales?|clauses?\s+d'insertion|reservation|marches?\s+reserves?)\b|"
    r"marches?\s+reserves?\s*:\s*non|reserve\s*:\s*non")
PROFESSION_RE = re.compile(r"profession\s+(?:particuliere|reglementee|reservee)|reservee?s?\s+(?:a\s+(?:une|la)\s+profession|aux\s+"
                           r"(?:architectes|avocats|experts?-comptables|geometres|notaires|huissiers|commissaires|medecins|"
                           r"pharmaciens|officiers|membres\s+d'une?\s+profession))|prestations?\s+reservees?\s+a\s+une?\s+profession")
CANDIDATE_FORM_RE = re.compile(
    r"declaration\s+sur\s+l'honneur|documents?\s+(?:a\s+produire|justificatifs?)|\bdc\s?[124]\b|\bdume\b|"
    r"en\s+regle\s+au\s+regard|interdictions?\s+de\s+soumissionner|le\s+candidat\s+(?:est|atteste|declare)\s+(?:une?|qu)")
# eForms business terms that state a provision by a code: read by the eForms reader, not as sentences.
CODED_TERM_RE = re.compile(r"\((?:bt-(?:02|03|05|06|23|71|736|775|76|78|79|94|105|106|135|763|765|766)|opp-\d+)\)\s*:")
# An award criterion is social only by its own words; a list of publics "meeting one of the following criteria"
# belongs to an insertion clause.
SOCIAL_CRITERION_WORDS_RE = re.compile(r"insertion|socia|emploi|handicap|eloigne|solidaire|egalite|discrimination|conditions\s+de\s+travail|"
                                       r"apprenti|alternance|difficulte")
ELIGIBILITY_RE = re.compile(r"l'un\s+des\s+criteres|criteres?\s+(?:suivants|d'eligibilite)|eligibles?|repondant\s+a|remplissant")
# A reservation worded by exclusivity: "seules les SIAE peuvent soumissionner", "seuls les ESAT sont admis à
# présenter une offre", "ouvert exclusivement aux structures…".
ONLY_THEM = (r"\bseul(?:e)?s\s+(?:peuvent|admis|autorise|habilite|(?:les|des|ces)\b[^.;:]{0,120}?\b(?:peuvent|sont\s+(?:admis|autorise|habilite)))|"
             r"(?:ouverte?s?|reservee?s?)\s+(?:exclusivement|uniquement)\s+(?:a|aux)\b")

# A reserved contract reserves a contract, a lot or the participation (not a parking place or a meeting room).
RESERVED_THING_RE = re.compile(r"\b(?:marches?|lots?|accords?-cadres?|consultation|participation|contrats?|prestations?|procedure|"
                               r"reserves?\s*:\s*oui|l\.?\s?2113-1[2-6])|" + ONLY_THEM)
# "Insertion" as a technical or advertising word (an advert's insertion, an insulation).
BUSINESS_INSERTION_RE = re.compile(r"insertion\s+(?:paysagere|architecturale|urbaine|environnementale|dans\s+(?:le\s+site|l'environnement|le\s+paysage))|"
                                   r"insertion\s+(?:des?|d'une?|de\s+la|du)\s+(?:annonces?|avis|publicites?|isolation|gaines?|pieces?|"
                                   r"encarts?|logos?|images?|donnees|cables?|mentions?|documents?|fichiers?|photos?|"
                                   r"clauses?\s+(?:de\s+)?(?:confidentialite|reserve|propriete|resiliation|penalites?|revision))|insertion\s+publicitaire|insertion\s+(?:sur|dans)\s+"
                                   r"(?:le|les|la|un)\s+(?:support|journal|journaux|presse|site)")
# A list of the publics an insertion clause may benefit, with nobody bound to anything (a CCAP template's list):
# the clause is the sentence that binds the holder, not the list.
PUBLICS_LIST_RE = re.compile(r"publics?\s+eligibles|peuvent\s+(?:notamment\s+)?etre\s+concerne|liste\s+(?:indicative\s+)?des\s+publics|"
                             r"sont\s+eligibles|criteres?\s+d'eligibilite|publics?\s+(?:vises|concernes|cibles)\s*:|personnes\s+eligibles\s*:|"
                             r"sont\s+(?:consideres?|regardes?)\s+comme\s+(?:des\s+)?(?:publics?|personnes)|publics?\s+prioritaires\s+sont")
OBLIGATION_RE = re.compile(r"titulaire|attributaire|prestataire|entreprises?\b|s'engage|devra|doit|est\s+tenu|realise|\bheures\b|\d\s*%|"
                           r"condition\s+d'execution|execution\s+du\s+marche|facilitat")
# An execution condition that binds the holder, with a share of hours, is no award criterion unless the sentence
# names one (a criterion, a weight, a mark): "le titulaire s'engage à réserver 6 % du temps de travail…".
BINDING_RE = re.compile(r"s'engage|conditions?\s+(?:particulieres\s+)?d'execution|\best\s+(?:imposee?|obligatoire)|\bdevra\b|\bdoit\b|"
                        r"est\s+tenue?\b")
CRITERION_NAMED_RE = re.compile(r"criter|ponder|\bnote|\bpoints?\b|\bjuge|apprecie|classe|valeur|performance|/\s*100|\bsur\s+\d")
# A sentence headed by a criterion label ("Critère 4 : …", "Sous-critère 2.3 : …") states a criterion, whatever
# insertion words it weighs.
CRITERION_HEADING_RE = re.compile(r"^\W*(?:sous-)?criteres?\b")
RESERVED = {ProvisionKind.RESERVED_DISABILITY, ProvisionKind.RESERVED_SIAE, ProvisionKind.RESERVED_ESS}


# "Équitable" said of a product, a supply chain or a label (not of a price or a sharing out).
FAIR_PRODUCT = (r"(?:filieres?|produits?|labels?|labellisee?s?|certifiee?s?|garantie|coton|cafe|the|cacao|chocolat)\s+(?:\w+\s+){0,2}"
                r"equitables?\b|\bequitables?\s+(?:certifiee?s?|labellisee?s?)")

# Concepts a buyer recognises whatever the wording, added to the sentence as tokens ("zzreserve"…) so that the
# model learns from few examples what each concept weighs for each kind (the weights are learned, not set).
CONCEPTS = {
    "reserve": r"\breservee?s?\s+(?:a|aux|en\s+application)\b|marches?\s+reserves?\s*:\s*oui|\breservation\b|" + ONLY_THEM + "|"
               r"\bl\.?\s?2113-1[2-6]\b|\barticle\s+(?:15|36)\b",
    "disability": r"handicap|entreprises?\s+adaptees?|\besat\b|\bea\b|travail\s+protege|(?:secteur|ateliers?)\s+proteges?|aide\s+par\s+le\s+travail|\bl\.?\s?2113-12|"
                  r"\bl\.?\s?5213-|\bl\.?\s?344-2",
    "siae": r"insertion\s+par\s+l'activite|\bsiae\b|chantiers?\s+d'insertion|entreprises?\s+d'insertion|associations?\s+intermediaires?|"
            r"\betti\b|travail\s+temporaire\s+d'insertion|\bl\.?\s?2113-13|\bl\.?\s?5132-|defavorise",
    "ess": r"economie\s+sociale\s+et\s+solidaire|\bess\b|\bl\.?\s?2113-1[56]|mission\s+de\s+service\s+public",
    "insertion": r"insertion|eloigne(?:e|s|es)?\s+de\s+l'emploi|publics?\s+en\s+difficulte|difficultes?\s+(?:sociales|particulieres|d'acces)|"
                 r"facilitat|\bl\.?\s?2112-2\b|clauses?\s+sociales?|alternance|apprentissage|contrats?\s+de\s+professionnalisation|retour\s+a\s+l'emploi|"
                 r"promotion\s+de\s+l'emploi|lutte\s+contre\s+l'exclusion|\bplie\b|minima\s+sociaux|\brsa\b|chomeurs|"
                 r"embauche\s+directe|\bgeiq\b|au\s+titre\s+de\s+la\s+clause|beneficiaires?\s+de\s+la\s+clause|tutorat|"
                 r"situations?\s+d'exclusion|exclusion\s+(?:sociale|professionnelle)|precarite",
    "hours": r"\d\s*(?:heures|h)\b|heures\s+(?:de\s+travail|travaillees)|equivalents?\s+temps\s+plein|\betp\b|\d\s*%\s+(?:du|des)\s+(?:nombre|heures|temps)",
    "criterion": r"criteres?\b|ponderation|pondere|\bnote\s+sur|\bnote(?:e)?\b|\d\s*(?:%|points?\b)|\(bt-54[01]\)",
    "execution": r"titulaire|attributaire|s'engage|devra|doit|est\s+tenu|conditions?\s+(?:particulieres\s+)?d'execution|execution\s+du\s+marche|"
                 r"candidat\s+retenu|comporte|comprend|integre|prevoit|incluant|obligatoire",
    "ilo": r"\boit\b|organisation\s+internationale\s+du\s+travail|travail\s+(?:des\s+enfants|d'enfants|force|decent)|clauses?\s+ethiques?|"
           r"normes\s+(?:internationales|fondamentales)\s+du\s+travail|droits?\s+fondamentaux\s+(?:au|du)\s+travail|code\s+de\s+conduite|"
           r"salaires?\s+(?:vital|vitaux|decents?)|chaine\s+d'approvisionnement|"
           r"conventions?\s+fondamentales|droits?\s+(?:de\s+l'homme|humains)|audits?\s+socia(?:l|ux)|\bsa\s?8000\b|\bbsci\b|amfori|fair\s+wear|liberte\s+syndicale|devoir\s+de\s+vigilance",
    "fairtrade": r"commerce\s+equitable|" + FAIR_PRODUCT + r"|fairtrade|max\s+havelaar|label\s+equitable|loi\s+(?:n\s*.\s*)?2005-882|2\s+aout\s+2005",
    "socialservices": r"services?\s+sociaux|services?\s+specifiques|\b[rl]\.?\s?2123[-\s]1\s*[-,]?\s*(?:alinea\s+)?3|annexe\s+xiv|"
                      r"\b(?:article|art\.?)\s+30\b[^.;]{0,40}(?:code\s+des\s+marches\s+publics|\bcmp\b)|" + ANY_AMOUNT_BY_OBJECT,
    "equality": r"egalite|discrimination|diversite|eg(?:a|alite)-conditionnalite",
    "social": r"\bsocia(?:l|le|les|ux)\b|responsabilite\s+societale|\brse\b|conditions\s+de\s+travail|qualite\s+de\s+l'emploi",
    "environment": r"environnement|ecolog|carbone|dechets|energie",
    "affirmative": r":\s*oui\b|[☒☑■]\s*oui\b|\boui\s*[☒☑■]",
    "question": r"\?|pouvez-vous|est-il\s+possible",
    "negative": r":\s*(?:non|sans|neant|aucune?)\b|\bne\s+\w+\s+pas\b|\baucune?\b|[☐□]",
    "profession": r"profession|architectes|avocats|experts?-comptables|geometres|notaires",
    "object": r"^\s*(?:objet|intitule|titre|description|lot\s*(?:n\s*.\s*)?\d)",
    "procedure": r"procedure\s+adaptee|\br\.?\s?2123-1|\bl\.?\s?2123-1",
}
CONCEPT_RES = {name: re.compile(pattern) for name, pattern in CONCEPTS.items()}


CONCEPT_NAMES = tuple(CONCEPTS)
CONCEPT_PAIRS = tuple((a, b) for i, a in enumerate(CONCEPT_NAMES) for b in CONCEPT_NAMES[i + 1 :])
CONCEPT_SCALE = 0.5


def judge_text(folded: str) -> str:
    """The sentence as the model reads it: the folded words, then one token per concept found."""
    tags = " ".join(f"zz{name}" for name, pattern in CONCEPT_RES.items() if pattern.search(folded))
    return f"{folded} {tags}" if tags else folded


def concept_features(folded: str) -> np.ndarray:
    """One feature per concept and per pair of concepts found together ("reserved" and "disability": a reserved
    contract for disabled workers), so that a linear model can weigh what the concepts say together."""
    present = {name: bool(pattern.search(folded)) for name, pattern in CONCEPT_RES.items()}
    singles = [present[name] for name in CONCEPT_NAMES]
    pairs = [present[a] and present[b] for a, b in CONCEPT_PAIRS]
    return np.array(singles + pairs, dtype=np.float64) * CONCEPT_SCALE


@dataclass(frozen=True)
class JudgeModel:
    kinds: tuple[ProvisionKind, ...]
    char_index: dict[str, int]
    char_idf: np.ndarray
    char_range: tuple[int, int]
    word_index: dict[str, int]
    word_idf: np.ndarray
    word_range: tuple[int, int]
    coef: np.ndarray  # (kinds, char features + word features)
    intercept: np.ndarray
    thresholds: np.ndarray

    @classmethod
    def from_arrays(cls, arrays) -> JudgeModel:
        char_vocab = [str(term) for term in arrays["char_vocab"]]
        word_vocab = [str(term) for term in arrays["word_vocab"]]
        return cls(
            kinds=tuple(ProvisionKind(str(k)) for k in arrays["kinds"]),
            char_index={term: i for i, term in enumerate(char_vocab)},
            char_idf=np.asarray(arrays["char_idf"], dtype=np.float64),
            char_range=(int(arrays["char_range"][0]), int(arrays["char_range"][1])),
            word_index={term: i for i, term in enumerate(word_vocab)},
            word_idf=np.asarray(arrays["word_idf"], dtype=np.float64),
            word_range=(int(arrays["word_range"][0]), int(arrays["word_range"][1])),
            coef=np.asarray(arrays["coef"], dtype=np.float64),
            intercept=np.asarray(arrays["intercept"], dtype=np.float64),
            thresholds=np.asarray(arrays["thresholds"], dtype=np.float64),
        )

    def probabilities(self, folded_sentences: list[str]) -> np.ndarray:
        """P(kind | sentence) for every sentence (rows) and kind (columns), independent per kind."""
        scores = np.array([self._scores(text) for text in folded_sentences]).reshape(-1, len(self.kinds))
        return 1.0 / (1.0 + np.exp(-scores))

    def _scores(self, folded: str) -> np.ndarray:
        """Linear scores of one sentence: only the columns of the n-grams it has are read (a sentence has a few
        hundred of the tens of thousands of features)."""
        text = judge_text(folded)
        char_columns, char_values = _tfidf(char_wb_ngrams(text, *self.char_range), self.char_index, self.char_idf)
        word_columns, word_values = _tfidf(word_ngrams(text, *self.word_range), self.word_index, self.word_idf)
        offset = len(self.char_idf) + len(self.word_idf)
        scores = self.intercept + self.coef[:, offset:] @ concept_features(folded)
        scores = scores + self.coef[:, char_columns] @ char_values
        return scores + self.coef[:, word_columns + len(self.char_idf)] @ word_values


def char_wb_ngrams(text: str, low: int, high: int) -> list[str]:
    """scikit-learn's `char_wb` analyser: n-grams inside each word padded with one space."""
    grams = []
    for word in WHITE_RE.sub(" ", text).split():
        padded = f" {word} "
        length = len(padded)
        for n in range(low, high + 1):
            offset = 0
            grams.append(padded[offset : offset + n])
            while offset + n < length:
                offset += 1
                grams.append(padded[offset : offset + n])
            if offset == 0:  # a short word counts once
                break
    return grams


def word_ngrams(text: str, low: int, high: int) -> list[str]:
    """scikit-learn's `word` analyser with its default token pattern."""
    tokens = WORD_RE.findall(text)
    grams: list[str] = []
    for n in range(low, high + 1):
        grams.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
    return grams


def _tfidf(grams: list[str], index: dict[str, int], idf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Columns and values of sublinear term frequency × idf, L2-normalised, as `TfidfVectorizer(sublinear_tf=True)`
    computes them."""
    columns, values = [], []
    for gram, count in Counter(grams).items():
        position = index.get(gram)
        if position is not None:
            columns.append(position)
            values.append((1.0 + math.log(count)) * idf[position])
    column_array, value_array = np.array(columns, dtype=np.intp), np.array(values, dtype=np.float64)
    norm = float(np.sqrt(value_array @ value_array)) if values else 0.0
    return column_array, (value_array / norm if norm else value_array)


@functools.lru_cache(maxsize=2)
def load_model(path: str | None = None) -> JudgeModel | None:
    """The shipped judge; None when no fitted weights are installed (the rules of `social` then read alone)."""
    file = Path(path) if path else package_or_checkout_dir("models") / MODEL_FILE
    if not file.exists():
        return None
    with np.load(file, allow_pickle=False) as arrays:
        model = JudgeModel.from_arrays(arrays)
    width = len(model.char_idf) + len(model.word_idf) + len(CONCEPT_NAMES) + len(CONCEPT_PAIRS)
    if model.coef.shape != (len(model.kinds), width):  # weights of another version of the features: retrain
        logging.getLogger(__name__).warning("provision judge %s does not match its features: not used", file)
        return None
    return model


def vetoed(folded: str, role: str, in_question: bool = False) -> bool:
    """A sentence that can state no provision whatever its words: a piece that states none, a question of a
    questions–answers register, a negative answer, a candidate's declaration."""
    if role in NO_PROVISION_PIECES or CODED_TERM_RE.search(folded):
        return True
    if role == DocumentRole.QR and (in_question or QUESTION_RE.search(folded)) and not ANSWER_RE.match(folded):
        return True
    if re.search(r"\?\s*[)»\"]?\s*$", folded):  # a question, in any piece, asks and states nothing
        return True
    negative_answer = NEGATIVE_ANSWER_RE.search(folded) and not CHECKED_YES_RE.search(folded)
    return bool(negative_answer or NEGATIVE_SENTENCE_RE.search(folded) or CANDIDATE_FORM_RE.search(folded))


def judge(folded_sentences: list[str], roles: list[str], in_question: list[bool] | None = None,
          model: JudgeModel | None = None, probabilities: np.ndarray | None = None) -> list[dict[ProvisionKind, float]]:
    """For each folded sentence, the kinds it states with their probability (empty: no provision)."""
    model = model or load_model()
    if model is None:
        return [{} for _ in folded_sentences]
    in_question = in_question or [False] * len(folded_sentences)
    probabilities = model.probabilities(folded_sentences) if probabilities is None else probabilities
    verdicts: list[dict[ProvisionKind, float]] = []
    for text, role, question, row in zip(folded_sentences, roles, in_question, probabilities):
        if vetoed(text, role, question):
            verdicts.append({})
            continue
        kinds = {kind: float(p) for kind, p, threshold in zip(model.kinds, row, model.thresholds) if p >= threshold}
        verdicts.append(_ruled(text, kinds))
    return verdicts


def _ruled(text: str, kinds: dict[ProvisionKind, float]) -> dict[ProvisionKind, float]:
    """The kinds the model found, less those the sentence's own words rule out."""
    if PROFESSION_RE.search(text) or not RESERVED_THING_RE.search(text):
        kinds = {kind: p for kind, p in kinds.items() if kind not in RESERVED}
    if BUSINESS_INSERTION_RE.search(text) and not re.search(r"clauses?\s+(?:sociales?|d'insertion)|heures|eloigne|\bpublics?\b|personnes", text):
        kinds.pop(ProvisionKind.INSERTION_CLAUSE, None)
        kinds.pop(ProvisionKind.SOCIAL_CRITERION, None)
    if CRITERION_HEADING_RE.match(text):
        kinds.pop(ProvisionKind.INSERTION_CLAUSE, None)
    if PUBLICS_LIST_RE.search(text) and not OBLIGATION_RE.search(text):
        kinds.pop(ProvisionKind.INSERTION_CLAUSE, None)
    if not CONCEPT_RES["socialservices"].search(text):  # R2123-1 1° or 2°: an adapted procedure for another reason
        kinds.pop(ProvisionKind.SOCIAL_SERVICES_PROCEDURE, None)
    if ProvisionKind.SOCIAL_CRITERION in kinds and (ELIGIBILITY_RE.search(text) or not SOCIAL_CRITERION_WORDS_RE.search(text)
                                                    or (BINDING_RE.search(text) and not CRITERION_NAMED_RE.search(text))):
        del kinds[ProvisionKind.SOCIAL_CRITERION]
    return kinds


def ruled_out(folded: str, kind: ProvisionKind) -> bool:
    """The sentence's own words rule this kind out, whatever the model or the rules of `social` say."""
    return kind not in _ruled(folded, {kind: 1.0})
