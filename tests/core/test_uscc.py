import pytest

from gaoxin.core import uscc


@pytest.mark.parametrize("code", ["91440300708461136T", "91110108551385082Q"])
def test_real_codes_validate(code: str) -> None:
    assert uscc.validate(code) == code
    assert uscc.check_character(code[:17]) == code[-1]


def test_normalises_what_people_paste() -> None:
    assert uscc.validate(" 91440300708461136t\u3000") == "91440300708461136T"


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("9144030070846113", "应为18位，实为16位"),
        ("91440300708461136I", "非法字符“I”"),
        ("9144A300708461136T", "第3–8位应为行政区划码"),
        ("91440300708461136U", "校验位错误：末位应为“T”，实为“U”"),
    ],
)
def test_invalid_codes_say_why(code: str, message: str) -> None:
    with pytest.raises(uscc.InvalidUSCC, match=message):
        uscc.validate(code)


def test_every_check_character_round_trips() -> None:
    for n in range(2000):
        code = uscc.make(f"91350200{n:09d}")
        assert uscc.is_valid(code)
        assert not uscc.is_valid(code[:-1] + ("0" if code[-1] != "0" else "1"))


def test_mask() -> None:
    assert uscc.mask("91440300708461136T") == "9144****136T"
