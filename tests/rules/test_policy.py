"""Policies: shipped profiles match SPEC section 7, every threshold is tested on both sides."""

import pytest

from tests.rules.test_suppression import table
from wres.engine.errors import ConfigError
from wres.rules.policy import PROFILE_NAMES, load_policy, policy_from_toml
from wres.rules.suppression import apply_primary


@pytest.mark.parametrize(
    ("name", "at_most", "rounding"),
    [("wres-default", 7, 1), ("nhs-digital", 7, 5), ("ons-10-5", 9, 5), ("staff-survey", 7, 1)],
)
def test_shipped_profiles_follow_the_spec(name: str, at_most: int, rounding: int) -> None:
    policy = load_policy(name)
    assert policy.name == name
    assert policy.primary.suppress_if_count_at_most == at_most
    assert policy.rounding.round_counts_to_nearest == rounding
    assert policy.source  # every profile states where its rule comes from
    assert len(policy.sha256) == 64


def test_every_profile_name_loads() -> None:
    assert {load_policy(n).name for n in PROFILE_NAMES} == set(PROFILE_NAMES)


def test_staff_survey_profile_drops_groups_of_fewer_than_11_respondents() -> None:
    """Judged by the rules that apply it: a group of 10 respondents is withheld, 11 is not."""
    policy = load_policy("staff-survey")
    assert policy.primary.suppress_if_base_at_most == 10
    rows = table((6, 10, 20, 50), (6, 11, 20, 50))  # 10 and 11 respondents
    done = apply_primary(rows, policy, ["indicator", "group"]).table
    assert done["rate"].to_list()[0] is None
    assert done["denominator"].to_list() == [None, 11]


@pytest.mark.parametrize("n", [1, 3, 7, 10])
def test_count_boundary_is_inclusive_at_n_and_open_above(n: int) -> None:
    primary = policy_from_toml(f"[primary]\nsuppress_if_count_at_most = {n}\n", "t").primary
    assert primary.withholds_count(1)
    assert primary.withholds_count(n)
    assert not primary.withholds_count(n + 1)
    assert not primary.withholds_count(0)


def test_zero_turns_count_suppression_off() -> None:
    primary = policy_from_toml("[primary]\nsuppress_if_count_at_most = 0\n", "t").primary
    assert not any(primary.withholds_count(c) for c in range(0, 20))


def test_zeros_can_be_declared_sensitive() -> None:
    text = "[primary]\nsuppress_if_count_at_most = 5\nsuppress_zero_counts = true\n"
    assert policy_from_toml(text, "t").primary.withholds_count(0)


def test_unknown_key_is_rejected_with_the_valid_keys() -> None:
    text = "[primary]\nsuppress_if_count_at_most = 5\nthreshold = 3\n"
    with pytest.raises(ConfigError, match=r"unknown key\(s\) \['threshold'\].*suppress_if_count"):
        policy_from_toml(text, "mine.toml")


def test_unknown_section_is_rejected() -> None:
    text = "[primary]\nsuppress_if_count_at_most = 5\n[tertiary]\nx = 1\n"
    with pytest.raises(ConfigError, match=r"mine.toml: unknown key\(s\) \['tertiary'\]"):
        policy_from_toml(text, "mine.toml")


@pytest.mark.parametrize("bad", ["-1", "2.5", "true", '"7"'])
def test_threshold_must_be_a_non_negative_whole_number(bad: str) -> None:
    with pytest.raises(ConfigError, match=r"suppress_if_count_at_most"):
        policy_from_toml(f"[primary]\nsuppress_if_count_at_most = {bad}\n", "t")


def test_primary_section_is_required() -> None:
    with pytest.raises(ConfigError, match=r"\[primary\]"):
        policy_from_toml('name = "x"\n', "t")


def test_missing_required_key_names_the_valid_keys() -> None:
    with pytest.raises(ConfigError, match=r"incomplete.*suppress_if_count_at_most"):
        policy_from_toml("[primary]\nsuppress_zero_counts = true\n", "t")


def test_unknown_profile_or_missing_file_lists_the_profiles(tmp_path) -> None:
    with pytest.raises(ConfigError, match="wres-default, nhs-digital"):
        load_policy(str(tmp_path / "nope.toml"))


def test_policy_file_by_path(tmp_path) -> None:
    path = tmp_path / "p.toml"
    path.write_text("[primary]\nsuppress_if_count_at_most = 3\n", encoding="utf-8")
    policy = load_policy(str(path))
    assert policy.name == "p"
    assert policy.primary.suppress_if_count_at_most == 3
    assert policy.secondary.min_attacker_interval >= 2


def test_public_measures_parse_and_default_to_none() -> None:
    text = '[primary]\nsuppress_if_count_at_most = 7\npublic_measures = ["board"]\n'
    assert policy_from_toml(text, "t").primary.public_measures == ("board",)
    plain = policy_from_toml("[primary]\nsuppress_if_count_at_most = 7\n", "t")
    assert plain.primary.public_measures == ()


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ('["boards"]', r"unknown name\(s\) \['boards'\]; valid names are \['board'\]"),
        ('"board"', "must be a list of names"),
        ("[9]", "must be a list of names"),
        ('["board", "board"]', "a name is repeated"),
    ],
)
def test_public_measures_reject_bad_values_naming_the_key(value: str, problem: str) -> None:
    text = f"[primary]\nsuppress_if_count_at_most = 7\npublic_measures = {value}\n"
    with pytest.raises(
        ConfigError, match=rf"mine.toml: policy key primary.public_measures .*{problem}"
    ):
        policy_from_toml(text, "mine.toml")


@pytest.mark.parametrize(
    ("name", "public"),
    [("wres-default", ("board",)), ("nhs-digital", ()), ("ons-10-5", ()), ("staff-survey", ())],
)
def test_only_wres_default_treats_the_board_as_public(name: str, public: tuple[str, ...]) -> None:
    assert load_policy(name).primary.public_measures == public
