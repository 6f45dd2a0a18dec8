import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.segments import SegmentCount, count_segments, fold_to_gsm, is_gsm7

# --- GSM-7 boundaries -------------------------------------------------------


def test_empty_is_one_gsm_segment():
    assert count_segments("") == SegmentCount("GSM-7", 0, 0, 1)


@pytest.mark.parametrize(
    "n, segments",
    [(1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4)],
)
def test_gsm_boundaries(n, segments):
    result = count_segments("a" * n)
    assert result == SegmentCount("GSM-7", n, n, segments)


def test_extension_characters_count_twice():
    for ch in "^{}\\[~]|€\f":
        assert count_segments(ch) == SegmentCount("GSM-7", 1, 2, 1)
    assert count_segments("€" * 80).units == 160
    assert count_segments("€" * 80).segments == 1
    assert count_segments("€" * 80 + "a").segments == 2
    assert count_segments("a" * 159 + "[").units == 161


def test_escape_sequence_is_not_split_across_segments():
    # 152 + 2 + 152 = 306 septets: naive ceil(306/153) = 2, but the euro sign
    # cannot straddle septets 153/154, so it starts segment 2.
    text = "a" * 152 + "€" + "a" * 152
    result = count_segments(text)
    assert result.units == 306
    assert result.segments == 3
    # with one character fewer, segment 2 holds exactly € + 151 = 153 septets
    assert count_segments("a" * 152 + "€" + "a" * 151).segments == 2
    # euro fully inside segment 1 (septets 152-153): no shift
    assert count_segments("a" * 151 + "€" + "a" * 153).segments == 2


def test_basic_set_letters_are_gsm():
    for text in ["é", "É", "è", "ù", "ì", "ò", "à", "Ç", "äöüñ", "ÄÖÜÑ", "Åå", "Ææ", "Øø", "ß", "ΔΩΣ", "@£$¥¤§¡¿"]:
        assert is_gsm7(text), text
        assert count_segments(text).encoding == "GSM-7"


def test_french_accent_stays_gsm_without_folding():
    text = "Réunion prévue à 10h, café"
    assert count_segments(text) == SegmentCount("GSM-7", len(text), len(text), 1)
    assert fold_to_gsm(text) == text


# --- UCS-2 boundaries -------------------------------------------------------


@pytest.mark.parametrize(
    "n, segments",
    [(1, 1), (70, 1), (71, 2), (134, 2), (135, 3), (201, 3), (202, 4)],
)
def test_ucs2_boundaries(n, segments):
    result = count_segments("ж" * n)
    assert result == SegmentCount("UCS-2", n, n, segments)


def test_emoji_counts_two_units():
    assert count_segments("😀") == SegmentCount("UCS-2", 1, 2, 1)
    assert count_segments("😀" * 35).segments == 1
    assert count_segments("😀" * 35 + "a").segments == 2


def test_surrogate_pair_is_not_split_across_segments():
    # 66 + 2 + 66 = 134 units: naive ceil(134/67) = 2, but the emoji cannot
    # straddle units 67/68, so it starts segment 2.
    text = "a" * 66 + "😀" + "a" * 66
    result = count_segments(text)
    assert result == SegmentCount("UCS-2", 133, 134, 3)
    assert count_segments("a" * 66 + "😀" + "a" * 65).segments == 2
    assert count_segments("a" * 65 + "😀" + "a" * 67).segments == 2


def test_arabic_is_ucs2():
    text = "مرحبا بكم في التقرير"
    result = count_segments(text)
    assert result == SegmentCount("UCS-2", len(text), len(text), 1)
    assert fold_to_gsm(text, accents=True) == text
    assert count_segments("م" * 71).segments == 2


# --- folding ----------------------------------------------------------------


def test_portuguese_folds_with_accents():
    assert count_segments("ação").encoding == "UCS-2"
    assert fold_to_gsm("ação") == "ação"
    folded = fold_to_gsm("ação", accents=True)
    assert folded == "acao"
    assert count_segments(folded) == SegmentCount("GSM-7", 4, 4, 1)


def test_curly_apostrophe_switches_to_ucs2_and_folding_fixes_it():
    text = "We’re done"
    assert count_segments(text).encoding == "UCS-2"
    folded = fold_to_gsm(text)
    assert folded == "We're done"
    assert count_segments(folded).encoding == "GSM-7"


@pytest.mark.parametrize(
    "src, expected",
    [
        ("‘a’ “b”", "'a' \"b\""),
        ("a–b—c−d", "a-b-c-d"),
        ("wait…", "wait..."),
        ("1\u00a0000\u202fkm\u2009x", "1 000 km x"),
        ("• one\n◦ two", "- one\n- two"),
        ("«oui»", '"oui"'),
        ("a\tb", "a b"),
    ],
)
def test_typographic_folding(src, expected):
    assert fold_to_gsm(src) == expected
    assert is_gsm7(fold_to_gsm(src))


@pytest.mark.parametrize(
    "src, expected",
    [
        ("áíóúãõç", "aiouaoc"),
        ("ÁÍÓÚÃÕ", "AIOUAO"),
        ("êâôî", "eaoi"),
        ("œuvre Œ", "oeuvre OE"),
        ("Çé É è ù ì ò à ä ö ü ñ Ä Ö Ü Ñ Å å Æ æ ø Ø ß", "Çé É è ù ì ò à ä ö ü ñ Ä Ö Ü Ñ Å å Æ æ ø Ø ß"),
        ("Łódź", "Lodz"),
        ("e\u0301", "é"),  # decomposed é composes to the GSM-7 letter
    ],
)
def test_accent_folding(src, expected):
    assert fold_to_gsm(src, accents=True) == expected


def test_accents_untouched_without_flag():
    assert fold_to_gsm("ação – ótimo") == "ação - ótimo"


def test_unfoldable_characters_left_unchanged():
    for text in ["สวัสดี", "😀👍🏽", "你好", "Привет"]:
        assert fold_to_gsm(text, accents=True) == text
    assert fold_to_gsm("Olá 😀", accents=True) == "Ola 😀"


def test_all_latin1_and_extended_a_letters_fold():
    letters = [chr(cp) for cp in range(0xC0, 0x180) if unicodedata.category(chr(cp)).startswith("L")]
    for ch in letters:
        assert is_gsm7(fold_to_gsm(ch, accents=True)), ch


# --- properties -------------------------------------------------------------

GSM_CHARS = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
    "^{}\\[~]|€\f"
)
FOLDABLE_CHARS = (
    GSM_CHARS
    + "áíóúãõçêâôîÁÍÓÚÃÕÊÂÔÎœŒûÛëËïÏÿýÝčšžČŠŽłŁőűĞğşŞ"
    + "‘’‚‛“”„‟«»‹›–—‐‑‒―−…•◦‣\u00a0\u2009\u202f\u3000\t`´\u00ad"
)


@given(st.text())
def test_count_never_raises(text):
    result = count_segments(text)
    assert result.segments >= 1
    assert result.characters == len(text)
    assert result.encoding in ("GSM-7", "UCS-2")
    if result.encoding == "GSM-7":
        assert result.units <= 160 or result.segments * 153 >= result.units
    else:
        assert result.units == len(text.encode("utf-16-le", "surrogatepass")) // 2
        assert result.units <= 70 or result.segments * 67 >= result.units


@given(st.text(alphabet=GSM_CHARS))
def test_gsm_text_detected(text):
    assert is_gsm7(text)
    assert count_segments(text).encoding == "GSM-7"


@given(st.text(), st.booleans())
def test_fold_idempotent(text, accents):
    once = fold_to_gsm(text, accents=accents)
    assert fold_to_gsm(once, accents=accents) == once


@given(st.text(alphabet=FOLDABLE_CHARS))
def test_foldable_latin_becomes_gsm(text):
    assert is_gsm7(fold_to_gsm(text, accents=True))


@given(st.text(alphabet=GSM_CHARS))
def test_fold_leaves_gsm_text_unchanged(text):
    assert fold_to_gsm(text) == text
    assert fold_to_gsm(text, accents=True) == text


@given(st.text())
def test_fold_never_increases_non_gsm_count(text):
    folded = fold_to_gsm(text, accents=True)
    non_gsm = lambda s: sum(not is_gsm7(c) for c in s)  # noqa: E731
    assert non_gsm(folded) <= non_gsm(unicodedata.normalize("NFC", text))
