"""French formats for the outputs and the interface, which reach them here (the UI never imports procure.text).
The helpers live in procure.text.format_fr, below every layer that writes French."""
from procure.text.format_fr import (  # noqa: F401
    MISSING,
    format_date,
    format_datetime,
    format_distance,
    format_euros,
    format_hours,
    format_int,
    format_months,
    format_number,
    format_percent,
    format_quantity,
    format_siret,
    passage_start,
    plural_fr,
    where_fr,
    write_csv,
)
