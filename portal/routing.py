"""Path convertors the domains' routes use."""

from starlette.convertors import Convertor, register_url_convertor


class IdConvertor(Convertor):
    """A row id in a path: a positive integer that fits in 64 bits, else the route does not match."""

    regex = "[1-9][0-9]{0,17}"

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        return str(int(value))


register_url_convertor("id", IdConvertor())


class SlugConvertor(Convertor):
    """A lower-case address segment such as a board's: letters, digits and '-'."""

    regex = "[a-z0-9][a-z0-9-]{0,63}"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("slug", SlugConvertor())
