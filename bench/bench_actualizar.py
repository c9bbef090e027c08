"""Banco de pruebas de ``catastro actualizar``: tiempo de actualizar UN predio.

Copia el distrito (no toca el original), y mide en el mismo proceso (sin el arranque de
Python) la modificación de atributos de un predio, la de su geometría y una subdivisión en
dos, cada una validada con sus vecinos y escrita en una transacción SQLite. La re-derivación
incremental la mide otro banco.

Uso::

    .venv/bin/python bench/bench_actualizar.py [GPKG] [--repeticiones 5]

Por defecto ``bench/datos/distrito_100000.gpkg`` (se genera si falta).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RAIZ = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(RAIZ))


def main() -> int:
    p = argparse.ArgumentParser(description="Tiempo de actualizar un predio")
    p.add_argument("gpkg", nargs="?", default=str(RAIZ / "bench/datos/distrito_100000.gpkg"))
    p.add_argument("--repeticiones", type=int, default=5)
    args = p.parse_args()

    import geopandas as gpd
    import shapely

    from geo.almacen import abrir

    origen = Path(args.gpkg)
    if not origen.exists():
        subprocess.run([sys.executable, "-m", "geo.cli", "generar-ejemplo", "--predios",
                        "100000", "--salida", str(origen)], check=True, cwd=RAIZ)
    with tempfile.TemporaryDirectory() as tmp:
        ruta = Path(tmp) / origen.name
        shutil.copyfile(origen, ruta)
        alm = abrir(ruta)
        predios = alm.capas(nombres=["predios"])["predios"]
        n = len(predios)
        rng = random.Random(466)
        tiempos: dict[str, list[float]] = {"atributos": [], "geometria": [], "subdivision": []}
        for k in range(args.repeticiones):
            fila = predios.iloc[rng.randrange(n)]
            cod, g = fila["codigo"], fila.geometry
            casos = {
                "atributos": [{"operacion": "modificacion", "codigo": cod,
                               "area_construida_m2": 100.0 + k}],
                "geometria": [{"operacion": "modificacion", "codigo": cod,
                               "geometry": shapely.affinity.scale(g, 0.95, 0.95)}],
            }
            x0, y0, x1, y1 = g.bounds
            xm = (x0 + x1) / 2
            mitades = [g.intersection(shapely.box(x0 - 1, y0 - 1, xm, y1 + 1)),
                       g.intersection(shapely.box(xm, y0 - 1, x1 + 1, y1 + 1))]
            casos["subdivision"] = [
                {"operacion": "subdivision", "codigo": f"{cod}-{s}", "origen": cod,
                 "area_terreno_m2": m.area, "area_construida_m2": 0.0, "geometry": m}
                for s, m in zip("AB", mitades)]
            for nombre, filas in casos.items():
                geoms = [f.pop("geometry", None) for f in filas]
                cambios = gpd.GeoDataFrame(filas, geometry=geoms, crs=predios.crs)
                t = time.perf_counter()
                alm.aplicar(cambios, f"BENCH-{k}", "bench")
                tiempos[nombre].append(time.perf_counter() - t)
    resultado = {"predios": n, "repeticiones": args.repeticiones,
                 **{f"{k}_mediana_s": round(statistics.median(v), 3) for k, v in tiempos.items()},
                 **{f"{k}_max_s": round(max(v), 3) for k, v in tiempos.items()}}
    print(f"Actualizar un predio en un distrito de {n:,} predios "
          f"({args.repeticiones} repeticiones; sin re-derivación):")
    for k, v in tiempos.items():
        print(f"  {k:<12} mediana {statistics.median(v):6.3f} s   máx {max(v):6.3f} s")
    destino = RAIZ / "bench" / "resultados" / "actualizar.json"
    destino.parent.mkdir(parents=True, exist_ok=True)
    destino.write_text(json.dumps(resultado, indent=2), encoding="utf-8")
    print(f"Resultado en {destino}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
