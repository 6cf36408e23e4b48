"""Reading, checking, completing and saving answers (in process, against the built-in questions)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from fwguide import answers as answers_module
from fwguide.answers import dump_answers, parse_sets, read_answers_file, with_defaults
from fwguide.errors import ExitCode, FwguideError
from fwguide.rulebook import load

RULEBOOK = load()


def _error(call: Callable[[], object]) -> FwguideError:
    with pytest.raises(FwguideError) as caught:
        call()
    assert caught.value.exit_code == ExitCode.USAGE
    return caught.value


def _file(tmp_path: Path, text: str, name: str = "team.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_yaml_file_answers_every_kind_of_question(tmp_path: Path) -> None:
    path = _file(tmp_path, "scale: startup\ndeploy: [mobile-ios, browser]\ncustom_kernels: yes\nos:\n")
    assert read_answers_file(path, RULEBOOK) == {"scale": "startup", "deploy": ["mobile-ios", "browser"],
                                                 "custom_kernels": True}


def test_json_file_is_read_too(tmp_path: Path) -> None:
    path = _file(tmp_path, json.dumps({"deploy": "browser", "visualization": False}), "team.json")
    assert read_answers_file(path, RULEBOOK) == {"deploy": ["browser"], "visualization": False}


def test_unknown_id_in_a_file_names_file_line_and_closest_id(tmp_path: Path) -> None:
    error = _error(lambda: read_answers_file(_file(tmp_path, "scale: research\nsclae: startup\n"), RULEBOOK))
    assert error.message.startswith(f"{tmp_path / 'team.yaml'}:2: sclae: unknown question id (expected one of: scale,")
    assert error.hint == "did you mean 'scale'?"


def test_unknown_choice_names_the_expected_choices_and_the_closest_one(tmp_path: Path) -> None:
    error = _error(lambda: read_answers_file(_file(tmp_path, "\n\ndeploy: [browser, andriod-phone]\n"), RULEBOOK))
    assert ":3: deploy: unknown choice 'andriod-phone' (expected one of: none, python-server," in error.message
    assert error.hint == "did you mean 'mobile-android'?"


def test_list_given_to_a_single_choice_question_is_refused(tmp_path: Path) -> None:
    error = _error(lambda: read_answers_file(_file(tmp_path, "scale: [research, startup]\n"), RULEBOOK))
    assert ":1: scale: expected one choice, got a list" in error.message


def test_wrong_type_is_refused_with_what_was_expected(tmp_path: Path) -> None:
    error = _error(lambda: read_answers_file(_file(tmp_path, "os: linux\ncustom_kernels: maybe\n"), RULEBOOK))
    assert ":2: custom_kernels: expected yes or no (true/false), got 'maybe'" in error.message
    error = _error(lambda: read_answers_file(_file(tmp_path, "scale: 3\n"), RULEBOOK))
    assert ":1: scale: expected one of: learning, research, startup, enterprise; got a number" in error.message


def test_none_cannot_be_combined_with_a_deployment_target(tmp_path: Path) -> None:
    error = _error(lambda: read_answers_file(_file(tmp_path, "deploy: [none, browser]\n"), RULEBOOK))
    assert ":1: deploy: 'none' cannot be combined with other choices (got also: browser)" in error.message


def test_malformed_yaml_names_file_and_line(tmp_path: Path) -> None:
    malformed = "scale: research\ndeploy: [browser\nos: linux\n"
    error = _error(lambda: read_answers_file(_file(tmp_path, malformed), RULEBOOK))
    assert error.message.startswith(f"{tmp_path / 'team.yaml'}:")
    line = int(error.message.split(":")[1])
    assert line in (3, 4)


def test_malformed_json_names_file_and_line(tmp_path: Path) -> None:
    error = _error(lambda: read_answers_file(_file(tmp_path, '{\n  "scale": "research",\n}\n', "a.json"), RULEBOOK))
    assert error.message.startswith(f"{tmp_path / 'a.json'}:3: invalid JSON")


def test_a_file_that_is_not_a_mapping_is_refused(tmp_path: Path) -> None:
    error = _error(lambda: read_answers_file(_file(tmp_path, "- scale\n- research\n"), RULEBOOK))
    assert "expected a mapping of question id to answer" in error.message


def test_set_flags_parse_lists_and_yes_no_words() -> None:
    assert parse_sets(["deploy=mobile-ios,browser", "custom_kernels=yes", "scale=learning", "scale=startup"],
                      RULEBOOK) == {"deploy": ["mobile-ios", "browser"], "custom_kernels": True, "scale": "startup"}


@pytest.mark.parametrize(("flag", "expected"), [
    ("scale", "--set scale: expected ID=VALUE"),
    ("sclae=research", "--set sclae=research: sclae: unknown question id"),
    ("scale=reserch", "--set scale=reserch: scale: unknown choice 'reserch'"),
    ("scale=research,startup", "--set scale=research,startup: scale: expected one choice, got a list"),
    ("visualization=sometimes", "--set visualization=sometimes: visualization: expected yes or no"),
    ("deploy=none,browser", "--set deploy=none,browser: deploy: 'none' cannot be combined"),
])
def test_bad_set_flags_name_the_flag_and_the_field(flag: str, expected: str) -> None:
    assert _error(lambda: parse_sets([flag], RULEBOOK)).message.startswith(expected)


def test_defaults_fill_detected_and_documented_answers_and_say_which() -> None:
    done = with_defaults(RULEBOOK, {"scale": "learning"},
                         {"os": "macos", "hardware": ["apple-silicon", "unknown-thing"]})
    assert done.values["scale"] == "learning"
    assert (done.values["os"], done.values["hardware"]) == ("macos", ["apple-silicon"])
    assert set(done.detected) == {"os", "hardware"}
    assert "scale" not in done.defaulted and "deploy" in done.defaulted
    assert done.values["deploy"] == RULEBOOK.question("deploy").default
    assert list(done.values) == [q.id for q in RULEBOOK.questions]


@pytest.mark.parametrize("name", ["saved.yaml", "saved.json"])
def test_saved_answers_read_back_the_same(tmp_path: Path, name: str) -> None:
    answers = with_defaults(RULEBOOK, {"deploy": ["browser", "mobile-ios"], "custom_kernels": True}, {}).values
    path = tmp_path / name
    path.write_bytes(dump_answers(answers, RULEBOOK, path))
    assert read_answers_file(path, RULEBOOK) == answers


def test_an_edited_answers_file_is_read_again_not_taken_from_the_cache(tmp_path: Path) -> None:
    path = _file(tmp_path, "scale: learning\n")
    assert read_answers_file(path, RULEBOOK) == {"scale": "learning"}
    assert answers_module._CACHE.load(answers_module._cache_key(path)) == {"scale": "learning"}
    assert read_answers_file(path, RULEBOOK) == {"scale": "learning"}
    path.write_text("scale: enterprise\nos: macos\n")
    assert read_answers_file(path, RULEBOOK) == {"scale": "enterprise", "os": "macos"}
    path.write_text("scale: enterprize\n")
    assert ":1: scale: unknown choice 'enterprize'" in _error(lambda: read_answers_file(path, RULEBOOK)).message
