"""Vencimientos: el último día hábil de cada mes (Ordenanza 466-2019-MPO, Art. 6).

Día hábil: de lunes a viernes y no feriado nacional. Los feriados viven en
``geo/datos/feriados_peru.toml`` (fijos + móviles por año: Jueves y Viernes Santo).
"""

from __future__ import annotations

import calendar
import tomllib
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

from geo.errores import ErrorDatos, ErrorLectura

RUTA_FERIADOS = Path(__file__).resolve().parent.parent / "datos" / "feriados_peru.toml"


@lru_cache(maxsize=4)
def feriados(ruta: str | Path = RUTA_FERIADOS) -> dict[int, frozenset[date]]:
    """Año → conjunto de feriados nacionales, leído del archivo de datos."""
    try:
        datos = tomllib.loads(Path(ruta).read_text(encoding="utf-8"))
        fijos = datos["comunes"]["fijos"]
        por_anio = {}
        for anio, d in datos["anios"].items():
            a = int(anio)
            dias = {date(a, int(f[:2]), int(f[3:])) for f in fijos}
            dias |= {date.fromisoformat(f) for f in d.get("moviles", []) + d.get("adicionales", [])}
            fuera = [x for x in dias if x.year != a]
            if fuera:
                raise ValueError(f"la fecha {fuera[0]} está en la tabla del año {a}")
            por_anio[a] = frozenset(dias)
    except (OSError, KeyError, ValueError, tomllib.TOMLDecodeError) as e:
        raise ErrorLectura(f"No se pudo leer el calendario de feriados {ruta} ({e}).",
                           "FERIADOS_ILEGIBLE") from e
    return por_anio


def es_habil(dia: date, ruta: str | Path = RUTA_FERIADOS) -> bool:
    """Lunes a viernes y no feriado nacional."""
    tabla = feriados(ruta)
    if dia.year not in tabla:
        raise ErrorDatos(f"No hay feriados del año {dia.year} en {Path(ruta).name}: agregue la "
                         f"tabla [anios.{dia.year}] (Jueves y Viernes Santo y los feriados "
                         "nuevos) antes de emitir o liquidar ese año.", "FERIADOS_FALTANTES")
    return dia.weekday() < 5 and dia not in tabla[dia.year]


def ultimo_dia_habil(anio: int, mes: int, ruta: str | Path = RUTA_FERIADOS) -> date:
    """Vencimiento de la cuota del mes: su último día hábil."""
    if not 1 <= mes <= 12:
        raise ErrorDatos(f"Mes {mes} inválido: use 1 a 12.", "MES_INVALIDO")
    dia = date(anio, mes, calendar.monthrange(anio, mes)[1])
    while not es_habil(dia, ruta):
        dia -= timedelta(days=1)
    return dia


def primer_dia_mes_siguiente(dia: date) -> date:
    """Art. 5: tras una transferencia, el nuevo propietario debe desde el mes siguiente."""
    return date(dia.year + dia.month // 12, dia.month % 12 + 1, 1)
