"""The territorial watch (issue 24) on real notices and on a BOAMP export built from real records."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest
import yaml
from boamp_export import CANCEL_ID, PUTEAUX_ID, SOISY_ID, cancellation_of, make_record, real_records, write_export


def _notice_folders(shared_data: Path) -> list[Path]:
    """Every published notice of the development set (BOAMP notices and TED eForms XML), not the DCE."""
    folders = []
    for folder in sorted((shared_data / "dce-real").iterdir()):
        expected = folder / "expected.yaml"
        if expected.is_file() and yaml.safe_load(expected.read_text(encoding="utf-8")).get("kind") == "notice":
            folders.append(folder)
    return folders


@pytest.fixture
def store(sessions):
    from procure.watch.store import WatchStore

    return WatchStore(sessions)


def test_real_notices_give_their_provisions_and_no_flag_before_the_obligation(shared_data, store):
    from procure.watch.run import run_watch

    folders = _notice_folders(shared_data)
    assert len(folders) >= 30
    run = run_watch(folders + [shared_data / "eforms"], store)
    assert run.failures == [] and run.read >= len(folders)
    read = {n.name: n for n in store.notices(latest_only=False)}
    wrong = []
    for folder in folders:
        expected = yaml.safe_load((folder / "expected.yaml").read_text(encoding="utf-8"))
        names = [Path(name).name for name in expected["files"]]
        notice = next(read[name] for name in names if name in read)
        found = {p["kind"] for p in notice.provisions}
        if found != {p["kind"] for p in expected["provisions"]}:
            wrong.append((folder.name, sorted(found)))
        # Every notice of the set was sent before 21 August 2026: nothing is to report under L2112-2-1.
        assert notice.obligation == "not_in_force" and not notice.flagged, folder.name
    assert not wrong, f"dispositions lues autrement que attendu : {wrong}"


@pytest.fixture
def export(shared_data, tmp_path):
    """20 notices of 2026 from the real records: 8 without a social consideration, 8 with an insertion clause,
    2 cancelled, 1 corrected (the correction before its notice in the file), 1 broken record."""
    real = real_records(shared_data)
    records, ids = [], {}
    for number in range(16):
        record, new_id = make_record(real[SOISY_ID if number % 2 else PUTEAUX_ID], number, social=number >= 8)
        records.append(record)
        ids[number] = new_id
    for number, target in ((100, 0), (101, 9)):
        records.append(cancellation_of(real[CANCEL_ID], number, ids[target])[0])
    correction, _ = cancellation_of(real[CANCEL_ID], 102, ids[3], reason="cor-buy")
    records.insert(0, correction)
    broken = dict(records[1], donnees={"FNSimple": {}}, idweb="26-999999")
    records.insert(5, broken)
    return write_export(tmp_path / "boamp-export.json", records), ids


def test_a_boamp_export_is_read_notice_by_notice_with_changes_and_flags(export, store):
    from procure.watch.run import run_watch

    path, ids = export
    run = run_watch([path], store)
    assert run.read == 19 and run.skipped == 0
    assert [f.name for f in run.failures] == ["boamp-export.json (avis 26-999999)"]
    assert "pas au format eForms" in run.failures[0].message
    listed = {n.key: n for n in store.notices()}
    # The cancellations and the correction replace the notices they modify; 3 notices list as their last version.
    assert ids[0] not in listed and ids[9] not in listed and ids[3] not in listed
    assert len(listed) == 19 - 3
    cancelled = [n for n in listed.values() if n.kind == "cancel"]
    assert len(cancelled) == 2 and not any(n.flagged for n in cancelled)
    corrected = next(n for n in listed.values() if n.kind == "change")
    assert corrected.modifies == ids[3] and corrected.obligation == "applies"
    for number in range(16):
        notice = listed.get(ids[number])
        if notice is None:
            continue
        assert notice.obligation == "applies", (number, notice.obligation_fr)
        assert notice.social == (number >= 8), (number, notice.provisions)
        assert notice.flagged == (number < 8)
    # The flag and the department are columns: the working group's list is a query.
    assert {n.key for n in store.notices(flagged=True)} == {ids[n] for n in range(8) if n not in (0, 3)} | {
        corrected.key}
    assert {n.department for n in store.notices(territory="95")} == {"95"}
    assert all(n.buyer == "Ville de Puteaux" for n in store.notices(territory="92"))


def test_a_rerun_reads_only_new_notices(export, shared_data, store, tmp_path):
    from procure.watch.run import run_watch

    path, _ = export
    run_watch([path], store)
    again = run_watch([path], store)
    assert again.read == 0 and again.skipped == 19
    real = real_records(shared_data)
    newer = write_export(tmp_path / "boamp-export-2.json", [make_record(real[PUTEAUX_ID], 500)[0]])
    more = run_watch([path, newer], store)
    assert more.read == 1 and more.skipped == 19


def test_the_command_line_lists_the_territory_and_writes_french_csv(export, sessions, tmp_path, monkeypatch, capsys):
    from procure.cli import main

    path, ids = export
    url = sessions.kw["bind"].url.render_as_string(hide_password=False)
    monkeypatch.setenv("PROCURE_DATABASE_URL", url)
    out = tmp_path / "veille.csv"
    assert main(["veille", str(path), "--territoire", "95", "--csv", str(out)]) == 0
    printed = capsys.readouterr().out.replace("\u202f", " ").replace("\xa0", " ")
    assert "19 avis lu(s), 0 déjà connu(s), 1 illisible(s)." in printed
    assert "avis du territoire 95" in printed and "cible nationale 30 %" in printed
    first = printed.split("\n- ", 1)[1]
    assert first.startswith("À SIGNALER"), "the notices to act on come first"
    assert "lot 1 : Clause d'insertion (condition d'exécution)" in first  # the lever that fits the flagged lot
    with open(out, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    assert rows and {row["Département"] for row in rows} == {"95"}
    assert {row["Obligation L2112-2-1"] for row in rows} == {"s'applique"}
    assert any(row["À signaler"] == "oui" for row in rows)
    assert all("Puteaux" not in row["Acheteur"] for row in rows)


def test_shares_per_buyer_and_month_leave_cancellations_out(export, store):
    from procure.watch.report import benchmarks, social_shares
    from procure.watch.run import run_watch

    run_watch([export[0]], store)
    notices = store.notices()
    by_buyer = social_shares(notices, "buyer").set_index("Acheteur")
    assert by_buyer["Avis"].sum() == len([n for n in notices if n.kind != "cancel"])
    assert 0 < by_buyer.loc["Ville de Puteaux", "Part sociale"] < 1
    by_month = social_shares(notices, "month")
    assert list(by_month["Mois"]) == ["2026-10"]
    marks = benchmarks()
    assert marks["target"].value == 0.30 and marks["measured"].unverified


def test_a_ted_package_is_read_member_by_member(shared_data, store, tmp_path):
    """TED publishes each day's notices as a tar.gz of XML files: read without extracting, a bad member alone."""
    import tarfile
    import zipfile

    from procure.watch.run import run_watch

    notices = sorted(shared_data.glob("dce-real/ted_*/*.xml"))
    package = tmp_path / "20241030_2024211.tar.gz"
    with tarfile.open(package, "w:gz") as archive:
        for path in notices:
            archive.add(path, arcname=f"20241030_2024211/{path.name}")
        broken = tmp_path / "00000-2024.xml"
        broken.write_text("<ContractNotice><unclosed></ContractNotice>", encoding="utf-8")
        archive.add(broken, arcname="20241030_2024211/00000-2024.xml")
    run = run_watch([package], store)
    assert run.read == len(notices)
    assert [f.name for f in run.failures] == [f"{package.name} (00000-2024.xml)"]
    assert "mal formé" in run.failures[0].message
    zipped = tmp_path / "paquet.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        for path in notices[:3]:
            archive.write(path, arcname=path.name)
    again = run_watch([zipped], store)
    assert again.read == 0 and again.skipped == 3  # the same notices, known by their identifier


def test_a_word_note_tells_one_buyer_its_notices(export, sessions, tmp_path, monkeypatch, capsys):
    import docx

    from procure.cli import main

    path, _ = export
    monkeypatch.setenv("PROCURE_DATABASE_URL", sessions.kw["bind"].url.render_as_string(hide_password=False))
    out = tmp_path / "note.docx"
    assert main(["veille", str(path), "--note-acheteur", "soisy", "--note", str(out)]) == 0
    assert "Note de COMMUNE DE SOISY-SOUS-MONTMORENCY écrite" in capsys.readouterr().out
    text = "\n".join(p.text for p in docx.Document(str(out)).paragraphs).replace("\u202f", " ").replace("\xa0", " ")
    assert "Vos avis publiés — COMMUNE DE SOISY-SOUS-MONTMORENCY" in text
    priority = text.split("À examiner ensemble en priorité", 1)[1].split("Avis comportant une considération sociale")[0]
    assert "26-100001" in priority and "s'applique" in priority and "Clause d'insertion" in priority
    social = text.split("Avis comportant une considération sociale", 1)[1]
    assert "26-100009" not in social  # cancelled: listed with the other notices, not as social
    assert "Puteaux" not in text
    assert main(["veille", str(path), "--note-acheteur", "e", "--note", str(out)]) == 2  # ambiguous name


def test_a_notice_stored_meanwhile_by_another_run_is_not_an_error(export, store):
    """Two administrators reading the same export at once: the notice stored first stays, the second save passes."""
    from sqlalchemy.exc import IntegrityError

    from procure.watch.assess import assess
    from procure.watch.notices import notice_items

    item = next(i for i in notice_items([export[0]]) if hasattr(i, "load"))
    watched = assess(item, item.load())
    real_known, calls = store.known, []

    def stale_known(keys):  # this run looked before the other one stored the notice
        calls.append(keys)
        return set() if len(calls) == 1 else real_known(keys)

    store._save(watched)  # the other run
    with pytest.raises(IntegrityError):
        store._save(watched)  # the unique key refuses a second row
    store.known = stale_known
    store.save(watched)
    assert len(calls) == 2  # the insert was tried, refused, and the notice found stored
    assert real_known([watched.key]) == {watched.key}
    assert len(store.notices(latest_only=False)) == 1


def test_a_file_named_alone_in_a_format_the_watch_cannot_read_is_said_not_skipped(tmp_path):
    """A folder's README is left quietly; the same kind of file named by the user gets a French reason."""
    from procure.watch.notices import NoticeFailure, notice_items

    folder = tmp_path / "avis"
    folder.mkdir()
    (folder / "README.txt").write_text("liste des avis", encoding="utf-8")
    named = tmp_path / "avis-du-jour.csv"
    named.write_text("id;objet\n1;Nettoyage\n", encoding="utf-8")
    assert list(notice_items([folder])) == []
    (failure,) = notice_items([named])
    assert isinstance(failure, NoticeFailure) and failure.name == "avis-du-jour.csv"
    assert "Format non pris en charge (.csv)" in failure.message and "eForms" in failure.message


def test_the_guides_commune_table_counts_each_communes_notices_and_keeps_department_only_ones_apart():
    from procure.watch.assess import WatchedNotice
    from procure.watch.report import commune_table

    def notice(key, kind="initial", insee=None, name=None, departments=("94",), social=False, applies=False):
        provisions = [{"kind": "insertion", "label": "Clause d'insertion"}] if social else []
        return WatchedNotice(key, key, kind, commune_insee=insee, commune=name, departments=list(departments),
                             provisions=provisions, obligation="applies" if applies else "below")

    notices = [notice("a", insee="94028", name="Créteil", social=True),
               notice("b", insee="94028", name="Créteil", applies=True),
               notice("c", insee="94028", name="Créteil", kind="cancel", applies=True),
               notice("d"),  # the department alone
               notice("e", insee="75056", name="Paris", departments=("75",), social=True),
               notice("f", insee="94080", name="Vincennes", social=True),
               notice("g", insee="94080", name="Vincennes")]
    rows = commune_table(notices, frozenset({"94028", "94080", "94081"}))
    assert [(r.commune, r.notices, r.social, r.flagged) for r in rows] == [
        ("Créteil", 2, 1, 1), ("Vincennes", 2, 1, 0), ("commune non précisée (département 94)", 1, 0, 0)]
    assert rows[0].share == 0.5 and rows[-1].insee is None


def test_the_territorial_guide_tells_each_communes_published_notices(export, sessions, store, tmp_path):
    """The guide's figures section carries the watch's notices of the territory per commune (issue 24)."""
    import docx

    from procure.market.practice import Territory
    from procure.outputs.guide import guide_data, write_guide
    from procure.watch.run import run_watch

    path, _ = export
    run_watch([path], store)
    listed = [n for n in store.notices(territory="92") if n.kind != "cancel"]
    assert listed and {n.commune for n in listed} == {"Puteaux"}
    on = max(n.published for n in listed)
    data = guide_data(sessions, Territory.parse("92"), on)
    (row,) = data.published
    assert (row.commune, row.notices) == ("Puteaux", len(listed))
    assert row.social == sum(n.social for n in listed) and row.flagged == sum(n.flagged for n in listed)
    document = docx.Document(str(write_guide(data, tmp_path / "guide.docx", page_numbers=False)))
    rows = [[cell.text for cell in r.cells] for table in document.tables for r in table.rows]
    assert ["Commune", "Avis", "Avec une considération sociale", "Part", "À signaler"] in rows
    assert any(r[0] == "Puteaux" and r[1] == str(len(listed)) for r in rows)
    elsewhere = guide_data(sessions, Territory.parse("13"), on)
    assert elsewhere.published == []
