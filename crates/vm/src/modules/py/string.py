"""String constants and helpers (cpyviz's model of string)."""

__all__ = ["ascii_letters", "ascii_lowercase", "ascii_uppercase", "capwords",
           "digits", "hexdigits", "octdigits", "printable", "punctuation",
           "whitespace", "Formatter", "Template"]

whitespace = ' \t\n\r\v\f'
ascii_lowercase = 'abcdefghijklmnopqrstuvwxyz'
ascii_uppercase = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'
ascii_letters = ascii_lowercase + ascii_uppercase
digits = '0123456789'
hexdigits = digits + 'abcdef' + 'ABCDEF'
octdigits = '01234567'
punctuation = r"""!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~"""
printable = digits + ascii_letters + punctuation + whitespace


def capwords(s, sep=None):
    """Split s by sep, capitalize each word, join them with sep (or a space)."""
    return (sep or ' ').join(word.capitalize() for word in s.split(sep))


def _is_ident_start(c):
    return c == '_' or c.isascii() and c.isalpha()


def _is_ident_char(c):
    return c == '_' or c.isascii() and c.isalnum()


class Template:
    """A string with $-substitutions: $name, ${name}, $$ for a dollar."""

    delimiter = '$'

    def __init__(self, template):
        self.template = template

    def _scan(self, mapping, safe):
        s = self.template
        out = []
        i = 0
        n = len(s)
        while i < n:
            c = s[i]
            if c != '$':
                out.append(c)
                i += 1
                continue
            if i + 1 < n and s[i + 1] == '$':
                out.append('$')
                i += 2
                continue
            j = i + 1
            braced = j < n and s[j] == '{'
            if braced:
                j += 1
            k = j
            if k < n and _is_ident_start(s[k]):
                k += 1
                while k < n and _is_ident_char(s[k]):
                    k += 1
            name = s[j:k]
            if not name or (braced and (k >= n or s[k] != '}')):
                if safe:
                    out.append('$')
                    i += 1
                    continue
                lines = s[:i].splitlines(keepends=True)
                if not lines:
                    colno, lineno = 1, 1
                else:
                    colno = i - len(''.join(lines[:-1]))
                    lineno = len(lines)
                raise ValueError(f'Invalid placeholder in string: line {lineno}, col {colno}')
            end = k + 1 if braced else k
            if name in mapping:
                out.append(str(mapping[name]))
            elif safe:
                out.append(s[i:end])
            else:
                raise KeyError(name)
            i = end
        return ''.join(out)

    def substitute(self, mapping={}, /, **kws):
        if kws:
            mapping = {**mapping, **kws}
        return self._scan(mapping, False)

    def safe_substitute(self, mapping={}, /, **kws):
        if kws:
            mapping = {**mapping, **kws}
        return self._scan(mapping, True)

    def get_identifiers(self):
        ids = []
        s = self.template
        i = 0
        while i < len(s):
            if s[i] == '$' and i + 1 < len(s):
                if s[i + 1] == '$':
                    i += 2
                    continue
                j = i + 1 + (s[i + 1] == '{')
                k = j
                while k < len(s) and _is_ident_char(s[k]):
                    k += 1
                name = s[j:k]
                if name and _is_ident_start(name[0]) and name not in ids:
                    ids.append(name)
                i = k
            else:
                i += 1
        return ids


class Formatter:
    """str.format as an overridable class (format only)."""

    def format(self, format_string, /, *args, **kwargs):
        return self.vformat(format_string, args, kwargs)

    def vformat(self, format_string, args, kwargs):
        return format_string.format(*args, **kwargs)
