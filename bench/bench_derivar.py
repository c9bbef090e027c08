"""Banco de pruebas de :func:`geo.derivaciones.derivar` sobre una cuadrícula sintética.

Construye con numpy un distrito en damero (manzanas de 2 × 10 lotes de 10 m × 15 m, calles de
10 m con un eje por cuadra, una manzana de cada 25 convertida en parque, cuatro sectores de
barrido, dos zonas de recolección, tres de serenazgo y una zona urbana) y mide:

* ``derivar`` completo (sin E/S) y la memoria máxima del proceso;
* el camino «directo» con geopandas: ``overlay`` de los linderos de los lotes con las franjas
  de las calles (``buffer(semiancho + tolerancia)``), solo el frontis, sin los descuentos.

Uso::

    .venv/bin/python bench/bench_derivar.py 10000 100000
    .venv/bin/python bench/bench_derivar.py 1000000 --sin-directo
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geo.derivaciones import derivar  # noqa: E402

CRS = "EPSG:32718"
X0, Y0 = 400_000.0, 8_800_000.0
ANCHO, FONDO, COLS = 10.0, 15.0, 10
CALLE = 10.0
PASO_X, PASO_Y = COLS * ANCHO + CALLE, 2 * FONDO + CALLE


def distrito_cuadricula(n_predios: int) -> dict[str, gpd.GeoDataFrame]:
    """Distrito en damero con ~``n_predios`` lotes (capas en EPSG:32718)."""
    n_manz = int(np.ceil(n_predios / (2 * COLS) * 25 / 24))
    nx_ = int(np.ceil(np.sqrt(n_manz * PASO_Y / PASO_X)))
    ny_ = int(np.ceil(n_manz / nx_))
    mi, mj = np.meshgrid(np.arange(nx_), np.arange(ny_))
    mi, mj = mi.ravel(), mj.ravel()
    parque = (mi * 7 + mj * 3) % 25 == 0
    bx, by = X0 + mi * PASO_X, Y0 + mj * PASO_Y

    lotes = ~parque
    c = np.tile(np.arange(COLS), 2)
    f = np.repeat([0, 1], COLS)
    lx = (bx[lotes][:, None] + c[None, :] * ANCHO).ravel()
    ly = (by[lotes][:, None] + f[None, :] * FONDO).ravel()
    lx, ly = lx[:n_predios], ly[:n_predios]
    n = len(lx)
    predios = gpd.GeoDataFrame(
        {
            "codigo": np.char.add("P", np.arange(n).astype(str)),
            "uso": np.ones(n, dtype=np.int64),
            "area_terreno_m2": np.full(n, ANCHO * FONDO),
            "area_construida_m2": np.full(n, 100.0),
            "frontis_declarado_m": np.full(n, ANCHO),
        },
        geometry=shapely.box(lx, ly, lx + ANCHO, ly + FONDO), crs=CRS,
    )
    areas = gpd.GeoDataFrame(
        {"nombre": np.char.add("Parque ", np.arange(parque.sum()).astype(str)),
         "tipo": "parque"},
        geometry=shapely.box(bx[parque], by[parque], bx[parque] + COLS * ANCHO,
                             by[parque] + 2 * FONDO), crs=CRS)

    # ejes: una fila por cuadra, de cruce a cruce
    xs = X0 - CALLE / 2 + np.arange(nx_ + 1) * PASO_X
    ys = Y0 - CALLE / 2 + np.arange(ny_ + 1) * PASO_Y
    hi, hj = np.meshgrid(np.arange(nx_), np.arange(ny_ + 1))
    vi, vj = np.meshgrid(np.arange(nx_ + 1), np.arange(ny_))
    h = np.stack([np.c_[xs[hi.ravel()], ys[hj.ravel()]],
                  np.c_[xs[hi.ravel() + 1], ys[hj.ravel()]]], axis=1)
    v = np.stack([np.c_[xs[vi.ravel()], ys[vj.ravel()]],
                  np.c_[xs[vi.ravel()], ys[vj.ravel() + 1]]], axis=1)
    lineas = shapely.linestrings(np.concatenate([h, v]))
    nh, nv = len(h), len(v)
    vias = gpd.GeoDataFrame(
        {"nombre": np.concatenate([np.char.add("Jr. H", hj.ravel().astype(str)),
                                   np.char.add("Av. V", vi.ravel().astype(str))]),
         "tipo": ["jiron"] * nh + ["avenida"] * nv,
         "cuadra": np.concatenate([hi.ravel() + 1, vj.ravel() + 1]),
         "ancho_m": np.full(nh + nv, CALLE)},
        geometry=lineas, crs=CRS)

    xmin, ymin = X0 - CALLE, Y0 - CALLE
    xmax, ymax = X0 + nx_ * PASO_X, Y0 + ny_ * PASO_Y
    xm, ym = (xmin + xmax) / 2, (ymin + ymax) / 2
    sectores = gpd.GeoDataFrame(
        {"sector": ["1", "2", "3", "4"], "frecuencia_semanal": [7, 6, 3, 2]},
        geometry=[shapely.box(xmin, ymin, xm, ym), shapely.box(xm, ymin, xmax, ym),
                  shapely.box(xmin, ym, xm, ymax), shapely.box(xm, ym, xmax, ymax)], crs=CRS)
    zonas = gpd.GeoDataFrame({"zona": ["A", "B"]},
                             geometry=[shapely.box(xmin, ymin, xm + 3.0, ymax),
                                       shapely.box(xm + 3.0, ymin, xmax, ymax)], crs=CRS)
    tercio = (xmax - xmin) / 3
    serenazgo = gpd.GeoDataFrame(
        {"zona": ["Norte", "Centro", "Sur"]},
        geometry=[shapely.box(xmin + k * tercio, ymin, xmin + (k + 1) * tercio, ymax)
                  for k in range(3)], crs=CRS)
    urbana = gpd.GeoDataFrame({"nombre": ["urbana"]},
                              geometry=[shapely.box(xmin, ymin, xmax - 0.1 * (xmax - xmin),
                                                    ymax)], crs=CRS)
    return {"predios": predios, "vias": vias, "areas_verdes": areas,
            "sectores_barrido": sectores, "zonas_recoleccion": zonas,
            "zonas_serenazgo": serenazgo, "zona_urbana": urbana}


def directo(capas) -> float:
    """Frontis «a la geopandas»: overlay de linderos con franjas de calle (solo el frontis)."""
    p, v = capas["predios"], capas["vias"]
    t = time.perf_counter()
    linderos = gpd.GeoDataFrame({"codigo": p["codigo"]}, geometry=p.boundary, crs=p.crs)
    franjas = gpd.GeoDataFrame({"via": v["nombre"]},
                               geometry=v.buffer(v["ancho_m"] / 2 + 0.5), crs=v.crs)
    x = gpd.overlay(linderos, franjas, how="intersection", keep_geom_type=True)
    x.length.groupby(x["codigo"]).sum()
    return time.perf_counter() - t


def memoria_max_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("tamanos", nargs="*", type=int, default=[10_000, 100_000])
    ap.add_argument("--sin-directo", action="store_true", help="no medir el overlay")
    a = ap.parse_args()
    for n in a.tamanos:
        t = time.perf_counter()
        capas = distrito_cuadricula(n)
        t_gen = time.perf_counter() - t
        t = time.perf_counter()
        d = derivar(capas)
        t_der = time.perf_counter() - t
        f = d.predios["frontis_m"]
        print(f"{len(d.predios):>9,} predios: generar {t_gen:5.2f} s | derivar {t_der:6.2f} s | "
              f"memoria máx. {memoria_max_mb():,.0f} MB | frontis medio {f.mean():.2f} m, "
              f"{len(d.frentes):,} trozos, {len(d.avisos)} avisos")
        if not a.sin_directo:
            t_dir = directo(capas)
            print(f"{'':>9}  overlay geopandas (solo frontis): {t_dir:6.2f} s → "
                  f"{t_dir / t_der:.1f} × el tiempo de derivar completo")


if __name__ == "__main__":
    main()
