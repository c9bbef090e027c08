"""Lectura del archivo de datos del distrito de ejemplo (trazado y metas de calibración)."""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

from geo.errores import ErrorDatos

RUTA_DATOS = Path(__file__).resolve().parent.parent / "datos" / "distrito_ejemplo.toml"


@lru_cache(maxsize=4)
def _leer(ruta: str) -> dict:
    try:
        with open(ruta, "rb") as f:
            return tomllib.load(f)
    except FileNotFoundError as e:
        raise ErrorDatos(
            f"No existe el archivo de datos del distrito de ejemplo {ruta}.", "DATOS_GENERADOR"
        ) from e
    except tomllib.TOMLDecodeError as e:
        raise ErrorDatos(f"El archivo {ruta} no es TOML válido: {e}", "DATOS_GENERADOR") from e


def cargar_datos(ruta: str | Path = RUTA_DATOS) -> dict:
    """Devuelve el contenido de ``geo/datos/distrito_ejemplo.toml`` (o de ``ruta``).

    Las claves numéricas de las tablas de metas (usos SNC) se convierten a ``int``.
    """
    crudo = _leer(str(ruta))
    return _claves_enteras(crudo)


def _claves_enteras(obj):
    if isinstance(obj, dict):
        return {(int(k) if isinstance(k, str) and k.isdigit() else k): _claves_enteras(v)
                for k, v in obj.items()}
    if isinstance(obj, list):
        return [_claves_enteras(v) for v in obj]
    return obj
