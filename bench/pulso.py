"""Pulso de la máquina: un trabajo fijo, con las mismas bibliotecas que ``catastro derivar``.

La máquina virtual de desarrollo cambia de velocidad según el día y la hora (el mismo código,
con un millón de predios: 26,8 s el 22 de noviembre a las 4 h, 45–49 s el 7 de diciembre).
Sin una referencia, un tiempo de ``make bench`` no dice si cambió el código o la máquina.
Este trabajo no cambia nunca: se corre antes y después de los benchmarks, y los tiempos se
comparan junto con él. Tres partes, como las tres que más pesan al derivar:

* numpy: ordenar y reordenar por índices 3 M valores;
* GEOS: ``buffer`` de 40 000 puntos y consultas de un STRtree entre ellos;
* SQLite: insertar 100 000 filas en un archivo nuevo, con un índice.

Uso: ``python bench/pulso.py`` (imprime JSON con los segundos de cada parte, el total y las
versiones de las bibliotecas).
"""

from __future__ import annotations

import json
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import shapely


def _numpy(rng: np.random.Generator) -> None:
    valores = rng.random(3_000_000)
    orden = np.argsort(valores, kind="stable")
    indices = rng.integers(0, len(valores), len(valores))
    float(valores[orden][indices].sum())


def _geos(rng: np.random.Generator) -> None:
    puntos = shapely.points(rng.random((40_000, 2)) * 1_300)
    circulos = shapely.buffer(puntos, 3.0)
    arbol = shapely.STRtree(circulos)
    arbol.query(circulos, predicate="intersects")


def _sqlite(rng: np.random.Generator) -> None:
    filas = [(i, float(x), f"P-{i:08d}") for i, x in enumerate(rng.random(100_000))]
    with tempfile.TemporaryDirectory() as tmp:
        con = sqlite3.connect(Path(tmp) / "pulso.sqlite")
        con.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, x REAL, codigo TEXT)")
        con.execute("CREATE INDEX t_x ON t (x)")
        con.executemany("INSERT INTO t VALUES (?, ?, ?)", filas)
        con.commit()
        con.close()


def versiones() -> dict[str, str]:
    """Versiones de las bibliotecas que pesan en ``catastro derivar``: también cambian de un
    día a otro (``pip`` instala las últimas en una máquina nueva)."""
    import pandas
    import pyarrow
    import pyogrio

    return {"python": sys.version.split()[0], "numpy": np.__version__,
            "shapely": shapely.__version__, "geos": shapely.geos_version_string,
            "pyogrio": pyogrio.__version__, "gdal": pyogrio.__gdal_version_string__,
            "pyarrow": pyarrow.__version__, "pandas": pandas.__version__}


def pulso() -> dict[str, float]:
    """Segundos de cada parte y el total (misma semilla: siempre el mismo trabajo)."""
    rng = np.random.default_rng(466)
    partes = {}
    for nombre, parte in (("numpy", _numpy), ("geos", _geos), ("sqlite", _sqlite)):
        inicio = time.perf_counter()
        parte(rng)
        partes[nombre] = round(time.perf_counter() - inicio, 2)
    partes["total"] = round(sum(partes.values()), 2)
    return partes


if __name__ == "__main__":
    json.dump(pulso() | {"versiones": versiones()}, sys.stdout)
    print()
