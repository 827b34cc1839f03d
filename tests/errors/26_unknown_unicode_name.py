"""An unknown character name in a string escape."""
greeting = "caf\u00e9 \N{LATIN SMALL LETTER E WITH ACUTE} \N{NO SUCH NAME}"
