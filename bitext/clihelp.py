"""Help screens that read right, for every command of the Typer app.

typer 0.29 writes `<bool>` beside every flag (flags take no value) and
`{name}` for a required argument in usage lines (`bitext align [OPTIONS]
{source} [target]`). The app's groups and commands are built from these
subclasses instead, so flags show no type and usage lines read
`bitext align [OPTIONS] SOURCE [TARGET]`, in --help and in error messages.
"""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

# typer 0.29 carries its own copy of Click: parameters are told apart by their
# attributes, not by the `click` package's classes.


def _plain_flags(params: list) -> list:
    for param in params:
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""
    return params


def _usage_pieces(params: list, ctx: Any) -> list[str]:
    pieces = []
    for param in params:
        if param.param_type_name == "argument":
            name = param.metavar or (param.name or "arg").upper()
            piece = name if param.required else f"[{name}]"
            pieces.append(piece + ("..." if param.nargs != 1 else ""))
        else:
            pieces.extend(param.get_usage_pieces(ctx))
    return pieces


class Command(TyperCommand):
    """A command whose help shows flags without a type and arguments in capitals."""

    def get_params(self, ctx: Any) -> list:
        return _plain_flags(super().get_params(ctx))

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        options = [self.options_metavar] if self.options_metavar else []
        return options + _usage_pieces(self.get_params(ctx), ctx)


class Group(TyperGroup):
    """A group whose own help follows `Command`'s conventions."""

    def get_params(self, ctx: Any) -> list:
        return _plain_flags(super().get_params(ctx))

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        options = [self.options_metavar] if self.options_metavar else []
        return [*options, *_usage_pieces(self.get_params(ctx), ctx), self.subcommand_metavar]


class App(typer.Typer):
    """`typer.Typer` whose groups and commands are `Group` and `Command`."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("cls", Group)
        super().__init__(**kwargs)

    def command(self, *args: Any, cls: type[TyperCommand] | None = None, **kwargs: Any):
        return super().command(*args, cls=cls or Command, **kwargs)
