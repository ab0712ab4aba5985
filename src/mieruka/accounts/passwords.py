"""The password rule every account meets, and Argon2 hashing (pwdlib)."""
from __future__ import annotations

import unicodedata

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

MIN_LENGTH = 12
MAX_LENGTH = 256  # hashing cost grows with the input; nobody types more
RULE = {
    "ja": f"パスワードは{MIN_LENGTH}文字以上{MAX_LENGTH}文字以下で、英小文字・英大文字・数字・記号・日本語の文字のうち"
          "2種類以上を含み、ログイン名を含まないものにしてください。",
    "en": f"A password has {MIN_LENGTH} to {MAX_LENGTH} characters, mixes at least two of lower-case letters, "
          "upper-case letters, digits, symbols and Japanese characters, and does not contain the login name.",
}

_hasher = PasswordHash((Argon2Hasher(),))


class WeakPassword(ValueError):
    """The password breaks the rule; .message holds the reason in each language."""

    def __init__(self, ja: str, en: str):
        super().__init__(en)
        self.message = {"ja": ja, "en": en}


def _classes(password: str) -> set[str]:
    out = set()
    for ch in password:
        if ch.isascii():
            out.add("lower" if ch.islower() else "upper" if ch.isupper() else "digit" if ch.isdigit() else "symbol")
        else:
            out.add("japanese" if unicodedata.category(ch).startswith("L") else "symbol")
    return out


def check(password: str, login: str = "") -> None:
    """Raise WeakPassword naming what is wrong, with the whole rule after it."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"パスワードが短すぎます({len(password)}文字)。" + RULE["ja"],
                           f"The password is too short ({len(password)} characters). " + RULE["en"])
    if len(password) > MAX_LENGTH:
        raise WeakPassword("パスワードが長すぎます。" + RULE["ja"], "The password is too long. " + RULE["en"])
    if len(_classes(password)) < 2 or len(set(password)) < 4:
        raise WeakPassword("パスワードの文字の種類が足りません。" + RULE["ja"],
                           "The password uses too few kinds of character. " + RULE["en"])
    if login and login.lower() in password.lower():
        raise WeakPassword("パスワードにログイン名が含まれています。" + RULE["ja"],
                           "The password contains the login name. " + RULE["en"])


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify(password: str, hashed: str) -> bool:
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _hasher.verify(password, hashed)
    except Exception:  # a malformed stored hash is a failed sign-in, not a crash
        return False


# Verified against when the login is unknown, so a wrong login costs the same time as a wrong password.
DUMMY_HASH = hash_password("unused-dummy-password-0")
