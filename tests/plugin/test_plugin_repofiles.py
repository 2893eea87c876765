"""alma_countme.repofiles: finding countme lines, setting them to 0, undoing exactly that."""


import pytest

from alma_countme import repofiles
from alma_countme.repofiles import CHANGED, INSERTED

ALMA9_BASEOS = (
    b"# almalinux-baseos.repo\n"
    b"\n"
    b"[baseos]\n"
    b"name=AlmaLinux $releasever - BaseOS\n"
    b"mirrorlist=https://mirrors.almalinux.org/mirrorlist/$releasever/baseos\n"
    b"# baseurl=https://repo.almalinux.org/almalinux/$releasever/BaseOS/$basearch/os/\n"
    b"enabled=1\n"
    b"gpgcheck=1\n"
    b"countme=1\n"
    b"metadata_expire=86400\n"
    b"\n"
    b"[baseos-debuginfo]\n"
    b"name=AlmaLinux $releasever - BaseOS debug\n"
    b"mirrorlist=https://mirrors.almalinux.org/mirrorlist/$releasever/baseos-debug\n"
    b"enabled=0\n"
)


def test_option_lines_give_file_line_and_value():
    found = repofiles.option_lines(ALMA9_BASEOS, "baseos", path="/r.repo")
    assert [(line.line, line.value, line.commented, line.text) for line in found] == [
        (9, "1", False, "countme=1")
    ]
    assert repofiles.option_lines(ALMA9_BASEOS, "baseos-debuginfo") == []


def test_commented_out_countme_is_found_and_marked():
    data = b"[baseos]\nname=x\n#countme=1\n  # countme = 1\n"
    found = repofiles.option_lines(data, "baseos")
    assert [(line.line, line.commented, line.value) for line in found] == [(3, True, "1"), (4, True, "1")]
    assert repofiles.effective_line(found) is None


def test_last_uncommented_line_is_the_effective_one():
    data = b"[a]\ncountme=1\ncountme = 0\n#countme=1\n"
    found = repofiles.option_lines(data, "a")
    assert repofiles.effective_line(found).line == 3


def test_sections_are_matched_after_variable_substitution():
    data = b"[repo-$releasever]\ncountme=1\n[repo-8]\ncountme=0\n"
    substitute = lambda text: text.replace("$releasever", "9")  # noqa: E731
    found = repofiles.option_lines(data, "repo-9", substitute=substitute)
    assert [line.line for line in found] == [2]


def test_continuation_lines_are_not_options():
    data = b"[a]\nbaseurl=http://one/\n countme=1\ncountme=0\n"
    assert [line.line for line in repofiles.option_lines(data, "a")] == [4]


@pytest.mark.parametrize("value,expected", [
    ("1", True), ("yes", True), ("True", True), ("on", True),
    ("0", False), ("no", False), ("false", False), ("OFF", False), ("maybe", None), ("", None),
])
def test_parse_bool_follows_libdnf_words(value, expected):
    assert repofiles.parse_bool(value) is expected


def test_plan_opt_out_changes_only_the_value():
    new, edits, _ = repofiles.plan_opt_out(ALMA9_BASEOS, "/r.repo", {"baseos", "baseos-debuginfo"})
    assert new == ALMA9_BASEOS.replace(b"countme=1\n", b"countme=0\n")
    assert edits == [repofiles.Edit("/r.repo", "baseos", 9, CHANGED, b"countme=1\n", b"countme=0\n")]


def test_plan_opt_out_keeps_spacing_and_crlf():
    data = b"[a]\r\ncountme =  yes \r\n"
    new, edits, _ = repofiles.plan_opt_out(data, "/r.repo", {"a"})
    assert new == b"[a]\r\ncountme =  0 \r\n"
    assert edits[0].before == b"countme =  yes \r\n"


def test_plan_opt_out_leaves_false_and_commented_lines():
    data = b"[a]\ncountme=0\n[b]\n#countme=1\n"
    new, edits, _ = repofiles.plan_opt_out(data, "/r.repo", {"a", "b"})
    assert (new, edits) == (data, [])


def test_plan_opt_out_inserts_under_header_when_countme_comes_from_main():
    data = b"[a]\nname=A\n[b]\nname=B"
    new, edits, moved = repofiles.plan_opt_out(data, "/r.repo", {"a", "b"}, insert_into={"b"})
    assert new == b"[a]\nname=A\n[b]\ncountme=0\nname=B"
    assert edits == [repofiles.Edit("/r.repo", "b", 4, INSERTED, b"", b"countme=0\n")]
    assert moved == {1: 1, 2: 2, 3: 3, 4: 5}


def test_insert_after_a_header_on_the_last_line_without_newline():
    new, edits, _ = repofiles.plan_opt_out(b"[b]", "/r.repo", {"b"}, insert_into={"b"})
    assert new == b"[b]\ncountme=0"
    restored, _, failed, _ = repofiles.plan_undo(new, edits)
    assert (restored, failed) == (b"[b]", [])


def test_undo_restores_every_byte():
    data = b"# c\r\n[a]\ncountme=1\n[b]\nname=b\n\xff\xfe odd bytes\n[c]\ncountme = True"
    new, edits, _ = repofiles.plan_opt_out(data, "/r.repo", {"a", "b", "c"}, insert_into={"b"})
    assert new != data
    restored, undone, failed, kept = repofiles.plan_undo(new, edits)
    assert restored == data
    assert (len(undone), failed, kept) == (3, [], [])


def test_undo_finds_a_line_that_moved_within_its_section():
    data = b"[a]\ncountme=1\n"
    new, edits, _ = repofiles.plan_opt_out(data, "/r.repo", {"a"})
    edited_by_admin = b"# added later\n" + new
    restored, undone, failed, _ = repofiles.plan_undo(edited_by_admin, edits)
    assert restored == b"# added later\n" + data
    assert failed == []


def test_undo_reports_a_line_the_admin_changed():
    data = b"[a]\ncountme=1\n"
    new, edits, _ = repofiles.plan_opt_out(data, "/r.repo", {"a"})
    changed = new.replace(b"countme=0", b"countme=no")
    restored, undone, failed, _ = repofiles.plan_undo(changed, edits)
    assert restored == changed and undone == []
    assert len(failed) == 1 and "/r.repo [a]: no line reads 'countme=0'" in failed[0][1]


def test_partial_undo_renumbers_the_edits_kept():
    data = b"[a]\nname=a\n[b]\ncountme=1\n"
    new, edits, _ = repofiles.plan_opt_out(data, "/r.repo", {"a", "b"}, insert_into={"a"})
    assert [(edit.section, edit.line) for edit in edits] == [("a", 2), ("b", 5)]
    restored, _, failed, kept = repofiles.plan_undo(new, edits, selected=lambda edit: edit.section == "a")
    assert restored == b"[a]\nname=a\n[b]\ncountme=0\n"
    assert [(edit.section, edit.line) for edit in kept] == [("b", 4)]
    final, _, failed, _ = repofiles.plan_undo(restored, kept)
    assert final == data and failed == []


def test_move_edits_renumbers_earlier_records_of_the_same_file():
    earlier = [repofiles.Edit("/r.repo", "b", 4, CHANGED, b"countme=1\n", b"countme=0\n"),
               repofiles.Edit("/other.repo", "x", 4, CHANGED, b"countme=1\n", b"countme=0\n")]
    moved = {1: 1, 2: 3, 3: 4, 4: 5}
    assert [edit.line for edit in repofiles.move_edits(earlier, "/r.repo", moved)] == [5, 4]


def test_edit_dict_round_trip_keeps_undecodable_bytes():
    edit = repofiles.Edit("/r.repo", "a", 3, CHANGED, b"countme=1 \xff\r\n", b"countme=0 \xff\r\n")
    assert repofiles.edit_from_dict(repofiles.edit_to_dict(edit)) == edit


@pytest.mark.parametrize("damage", [{"kind": "moved"}, {"line": 0}, {"line": "3"}, {"before": 3}])
def test_edit_from_dict_rejects_damage(damage):
    data = dict(repofiles.edit_to_dict(repofiles.Edit("/r", "a", 3, CHANGED, b"x\n", b"y\n")), **damage)
    with pytest.raises((ValueError, TypeError)):
        repofiles.edit_from_dict(data)
