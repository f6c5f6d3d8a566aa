"""The README's slides example prints "Hello World!" then "Good bye." on every implementation."""

import subprocess
import sys

import impls
from impls.slides import slides_example


def test_slides_example_prints_hello_then_good_bye(loop, capsys):
    slides_example(loop)
    assert capsys.readouterr().out == "Hello World!\nGood bye.\n"
    assert loop.time() >= 5


def test_the_readme_command_runs_on_every_implementation():
    result = subprocess.run([sys.executable, "-m", "impls.slides"], capture_output=True, text=True,
                            timeout=60, check=True)
    expected = "".join(f"--- {name}\nHello World!\nGood bye.\n" for name in impls.names())
    assert result.stdout == expected
