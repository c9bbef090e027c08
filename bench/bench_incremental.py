"""Banco de la re-derivación incremental (:mod:`geo.incremental`) frente a ``derivar`` completo.

Sobre el distrito de 100 000 predios mide, en memoria (sin E/S):

* ``derivar`` completo (la referencia);
* la edición de **un** predio y su re-derivación incremental, en dos casos: un cambio de
  atributos (área construida) y un cambio de geometría (se mueve el lindero entre dos lotes
  vecinos: 3 m de uno pasan al otro);
* que el resultado incremental sea igual al completo (frontis al centímetro, trozos, zonas,
  categorías, avisos);
* ``calcular_tarifas`` (el arbitrio de todos se recalcula siempre entero: ver
  :mod:`geo.incremental`).

Uso::

    .venv/bin/catastro generar-ejemplo --predios 100000 --salida /tmp/d100k.gpkg
    .venv/bin/python bench/bench_incremental.py /tmp/d100k.gpkg [--sin-tarifas]

Sin argumento usa ``bench/datos/distrito_100000.gpkg`` (lo genera si falta).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

RAIZ = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(RAIZ))

from geo.derivaciones import derivar
from geo.flujo import cargar_capas
from geo.incremental import derivar_incremental

META_S = 1.0


def _reloj(f, *a, **k):
    t = time.perf_counter()
    r = f(*a, **k)
    return r, time.perf_counter() - t


def par_vecino(predios, rng) -> tuple[int, int]:
    """Dos lotes (sin propiedad horizontal) que comparten un lindero de más de 3 m."""
    g = predios.geometry.to_numpy()
    solo = predios["predio_matriz"].isna().to_numpy() if "predio_matriz" in predios else \
        np.ones(len(g), bool)
    arbol = shapely.STRtree(g)
    while True:
        i = int(rng.choice(np.flatnonzero(solo)))
        _, js = arbol.query(g[i:i + 1], predicate="intersects")
        for j in js:
            if j != i and solo[j]:
                comun = shapely.intersection(g[i], g[j])
                if shapely.length(comun) > 3 and shapely.area(comun) < 0.1:
                    return i, int(j)


def mover_lindero(capas, i: int, j: int, metros: float = 3.0):
    """Pasa una franja de ``metros`` del lote j al lote i (a lo largo de su lindero común)."""
    p = capas["predios"].copy()
    g = p.geometry.to_numpy()
    franja = shapely.buffer(shapely.intersection(g[i], g[j]), metros, cap_style="flat")
    col = p.columns.get_loc(p.geometry.name)
    p.iloc[i, col] = shapely.union(g[i], shapely.intersection(g[j], franja))
    p.iloc[j, col] = shapely.difference(g[j], franja)
    return dict(capas, predios=p)


def cambiar_area(capas, i: int, area: float):
    p = capas["predios"].copy()
    p.iloc[i, p.columns.get_loc("area_construida_m2")] = area
    return dict(capas, predios=p)


def iguales(a, b) -> bool:
    pa = pd.DataFrame(a.predios.drop(columns="geometry"))
    pb = pd.DataFrame(b.predios.drop(columns="geometry"))
    fa = pd.DataFrame(a.frentes.drop(columns="geometry"))
    fb = pd.DataFrame(b.frentes.drop(columns="geometry"))
    return pa.equals(pb) and fa.equals(fb) and a.avisos == b.avisos


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("almacen", nargs="?", default=str(RAIZ / "bench/datos/distrito_100000.gpkg"))
    ap.add_argument("--sin-tarifas", action="store_true", help="no medir calcular_tarifas")
    ap.add_argument("--semilla", type=int, default=6)
    args = ap.parse_args()
    ruta = Path(args.almacen)
    if not ruta.exists():
        ruta.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "geo.cli", "generar-ejemplo", "--predios",
                        "100000", "--salida", str(ruta)], cwd=RAIZ, check=True)
    capas = cargar_capas(ruta)
    n = len(capas["predios"])
    rng = np.random.default_rng(args.semilla)
    print(f"Re-derivación incremental · {ruta.name}: {n:,} predios")
    d0, t_full = _reloj(derivar, capas)
    print(f"  derivar completo{'':<38}{t_full:>8.2f} s")
    filas = [{"caso": "derivar completo", "segundos": round(t_full, 3)}]

    # 1) atributos de un predio
    i = int(rng.integers(n))
    codigo = str(capas["predios"]["codigo"].iloc[i])
    t0 = time.perf_counter()
    c1 = cambiar_area(capas, i, 123.45)
    r1 = derivar_incremental(c1, d0, {codigo})
    t_attr = time.perf_counter() - t0
    # 2) geometría: mover el lindero entre dos vecinos
    a, b = par_vecino(c1["predios"], rng)
    cods = {str(c1["predios"]["codigo"].iloc[k]) for k in (a, b)}
    t0 = time.perf_counter()
    c2 = mover_lindero(c1, a, b)
    r2 = derivar_incremental(c2, r1.derivados, cods)
    t_geo = time.perf_counter() - t0
    d2, t_full2 = _reloj(derivar, c2)
    ok = iguales(r2.derivados, d2)
    for caso, t, r in (("1 predio: atributos (edición + re-derivación)", t_attr, r1),
                       ("2 predios: lindero movido (edición + re-derivación)", t_geo, r2)):
        marca = "✓" if t <= META_S else "✗"
        print(f"  {caso:<54}{t:>8.2f} s  {marca} meta ≤ {META_S:g} s · "
              f"{len(r.recalculados)} recalculados, {r.contexto} de contexto "
              f"(derivar interno {r.segundos:.2f} s)")
        filas.append({"caso": caso, "segundos": round(t, 3), "recalculados":
                      len(r.recalculados), "contexto": r.contexto, "meta_s": META_S})
    print(f"  derivar completo tras la edición{'':<22}{t_full2:>8.2f} s · incremental "
          f"{'==' if ok else '!='} completo {'✓' if ok else '✗'}")
    filas.append({"caso": "derivar completo tras la edición", "segundos": round(t_full2, 3),
                  "igual_al_incremental": ok})
    if not args.sin_tarifas:
        from geo.ordenanza import cargar_ordenanza
        from geo.tarifas import calcular_tarifas

        o = cargar_ordenanza()
        _, t_tar = _reloj(calcular_tarifas, d2.predios, d2.frentes, o, d2.microrutas)
        print(f"  calcular_tarifas (siempre entero){'':<21}{t_tar:>8.2f} s")
        filas.append({"caso": "calcular_tarifas", "segundos": round(t_tar, 3)})
    destino = RAIZ / "bench" / "resultados" / "incremental.json"
    destino.parent.mkdir(parents=True, exist_ok=True)
    destino.write_text(json.dumps({"almacen": ruta.name, "predios": n, "casos": filas},
                                  indent=2, ensure_ascii=False) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
