"""Frontis: nuestro cálculo vectorizado (Python) contra la consulta equivalente dentro de PostGIS.

Necesita un servidor PostGIS (``CATASTRO_PG``, ver ``.ci/postgis.sh``); sin él, lo dice y sale
con 0. Para cada tamaño:

1. Genera el distrito de ejemplo (``bench/datos/distrito_N.gpkg``) si falta y lo copia a
   PostGIS con :func:`geo.almacen.postgis.copiar_a_postgis` (esquema ``bench_N``; se reutiliza
   si ya está cargado).
2. **Python**: lee ``predios``, ``vias`` y ``areas_verdes`` del almacén PostGIS y mide solo
   :func:`geo.frontis.calcular_frontis` (con áreas verdes, sin sectores de barrido: el mismo
   trabajo que la consulta).
3. **PostGIS**: mide, en el servidor, la consulta directa de frontis (:data:`PASOS_SQL`):

   a. ``huellas``: una fila por huella (las unidades en propiedad horizontal comparten la de
      su ``predio_matriz``), con índice GiST;
   b. ``franjas``: cada eje de vía ensanchado a ``semiancho + tolerancia`` (semiancho =
      ``ancho_m / 2`` o el ancho por defecto de su ``tipo``, los de ``Config``), con índice;
   c. ``exterior``: el contorno de cada huella menos lo que queda a menos de la tolerancia de
      las huellas vecinas y de las áreas verdes (``ST_DWithin`` sobre el índice, unión de sus
      ``ST_Buffer`` a la tolerancia, ``ST_Difference``; de las variantes probadas —buffer de la
      colección de contornos, buffer de la unión de contornos— la más rápida);
   d. ``frentes``: ``ST_Intersection`` de cada lindero exterior con cada franja que lo toca
      (``ST_Intersects`` sobre el índice), su largo por huella y vía.

   Es la forma habitual de escribirlo en PostGIS. No separa los linderos laterales (suman
   hasta la tolerancia en cada extremo que toca la franja) ni reparte las esquinas (un trozo
   dentro de dos franjas cuenta dos veces) ni trata ochavas: hace menos que nuestro cálculo.
   Se informa también cuánto difieren los frontis por huella.

Uso::

    CATASTRO_PG=postgresql://… .venv/bin/python bench/bench_postgis.py            # 100 000
    CATASTRO_PG=postgresql://… .venv/bin/python bench/bench_postgis.py --millon   # y 1 000 000
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

RAIZ = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(RAIZ))

from geo.config import CONFIG

DATOS = RAIZ / "bench" / "datos"

PASOS_SQL: list[tuple[str, str]] = [
    ("huellas", """
        CREATE TABLE {e}.q_huellas AS
        SELECT DISTINCT ON (coalesce(nullif(predio_matriz, ''), codigo))
               coalesce(nullif(predio_matriz, ''), codigo) AS huella, geom
        FROM {e}.predios ORDER BY coalesce(nullif(predio_matriz, ''), codigo), fid;
        CREATE INDEX ON {e}.q_huellas USING gist (geom);
        ANALYZE {e}.q_huellas"""),
    ("franjas", """
        CREATE TABLE {e}.q_franjas AS
        SELECT v.fid AS via,
               ST_Buffer(v.geom, coalesce(nullif(v.ancho_m, 0), d.ancho, {otro}) / 2 + {tol},
                         'quad_segs=4') AS geom
        FROM {e}.vias v LEFT JOIN (VALUES {anchos}) AS d(tipo, ancho)
             ON d.tipo = lower(trim(v.tipo));
        CREATE INDEX ON {e}.q_franjas USING gist (geom);
        ANALYZE {e}.q_franjas"""),
    ("exterior", """
        CREATE TABLE {e}.q_exterior AS
        SELECT h.huella,
               ST_Difference(ST_Boundary(h.geom), coalesce(
                 (SELECT ST_Union(ST_Buffer(o.geom, {tol}, 'quad_segs=2'))
                  FROM (SELECT n.geom FROM {e}.q_huellas n
                        WHERE n.huella <> h.huella AND ST_DWithin(n.geom, h.geom, {tol})
                        UNION ALL
                        SELECT a.geom FROM {e}.areas_verdes a
                        WHERE ST_DWithin(a.geom, h.geom, {tol})) o),
                 ST_SetSRID('POLYGON EMPTY'::geometry, ST_SRID(h.geom)))) AS geom
        FROM {e}.q_huellas h;
        CREATE INDEX ON {e}.q_exterior USING gist (geom);
        ANALYZE {e}.q_exterior"""),
    ("frentes", """
        CREATE TABLE {e}.q_frentes AS
        SELECT x.huella, x.via, sum(x.largo) AS longitud_m FROM (
          SELECT e.huella, f.via, ST_Length(ST_Intersection(e.geom, f.geom)) AS largo
          FROM {e}.q_exterior e JOIN {e}.q_franjas f ON ST_Intersects(e.geom, f.geom)) x
        WHERE x.largo > 0 GROUP BY x.huella, x.via"""),
]


def sql_de(esquema: str) -> list[tuple[str, str]]:
    tol = float(CONFIG.tolerancia_frontis_m)
    anchos = ", ".join(f"('{t}', {a!r})" for t, a in CONFIG.ancho_via_por_tipo_m.items())
    otro = float(CONFIG.ancho_via_por_tipo_m["otro"])
    return [(n, q.format(e=esquema, tol=tol, anchos=anchos, otro=otro)) for n, q in PASOS_SQL]


def asegurar_gpkg(n: int) -> Path:
    ruta = DATOS / f"distrito_{n}.gpkg"
    if not ruta.exists():
        DATOS.mkdir(parents=True, exist_ok=True)
        print(f"  generando {ruta.name}…", flush=True)
        subprocess.run([sys.executable, "-m", "geo.cli", "generar-ejemplo", "--predios", str(n),
                        "--salida", str(ruta)], cwd=RAIZ, check=True,
                       stdout=subprocess.DEVNULL)
    return ruta


def cargar(base: str, n: int, recargar: bool) -> tuple[str, float | None]:
    """Copia el distrito a PostGIS (esquema ``bench_n``) salvo que ya esté. URL y segundos."""
    import psycopg

    from geo.almacen.postgis import copiar_a_postgis, separar_url

    esquema = f"bench_{n}"
    url = base + ("&" if "?" in base else "?") + f"esquema={esquema}"
    conninfo, _ = separar_url(url)
    with psycopg.connect(conninfo, autocommit=True) as c:
        hay = c.execute("SELECT to_regclass(%s) IS NOT NULL", [f"{esquema}.predios"]).fetchone()[0]
        filas = c.execute(f"SELECT count(*) FROM {esquema}.predios").fetchone()[0] if hay else 0
        if hay and (recargar or filas != n):
            c.execute(f"DROP SCHEMA {esquema} CASCADE")
            hay = False
    if hay:
        return url, None
    ruta = asegurar_gpkg(n)
    t = time.perf_counter()
    copiar_a_postgis(ruta, url)
    return url, time.perf_counter() - t


def medir_sql(url: str) -> tuple[dict[str, float], pd.DataFrame]:
    """Ejecuta los pasos de :data:`PASOS_SQL` y devuelve sus segundos y el frontis por huella."""
    import psycopg

    from geo.almacen.postgis import separar_url

    conninfo, esquema = separar_url(url)
    tiempos = {}
    with psycopg.connect(conninfo, autocommit=True) as c:
        c.execute("SET client_min_messages = warning")
        for t in ("q_frentes", "q_exterior", "q_franjas", "q_huellas"):
            c.execute(f"DROP TABLE IF EXISTS {esquema}.{t}")
        for nombre, q in sql_de(esquema):
            t0 = time.perf_counter()
            for orden in q.split(";"):
                c.execute(orden)
            tiempos[nombre] = time.perf_counter() - t0
        frontis = pd.DataFrame(c.execute(
            f"SELECT huella, sum(longitud_m) FROM {esquema}.q_frentes GROUP BY huella").fetchall(),
            columns=["huella", "frontis_sql_m"])
    return tiempos, frontis


def medir_python(url: str) -> tuple[float, float, pd.DataFrame]:
    """Segundos de lectura, segundos de :func:`calcular_frontis` y frontis por huella."""
    from geo.almacen.postgis import AlmacenPostGIS
    from geo.frontis import calcular_frontis, huellas

    t0 = time.perf_counter()
    with AlmacenPostGIS(url) as alm:
        capas = alm.capas(nombres=["predios", "vias", "areas_verdes"])
    t_leer = time.perf_counter() - t0
    t0 = time.perf_counter()
    r = calcular_frontis(capas["predios"], capas["vias"], None, capas.get("areas_verdes"), CONFIG)
    t_calc = time.perf_counter() - t0
    _, _, claves = huellas(capas["predios"])
    por_huella = np.bincount(r.tramos["huella"].to_numpy(),
                             weights=r.tramos["longitud_m"].to_numpy(), minlength=len(claves))
    return t_leer, t_calc, pd.DataFrame({"huella": claves, "frontis_py_m": por_huella})


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tamanos", default="100000",
                    help="tamaños separados por comas (por defecto 100000)")
    ap.add_argument("--millon", action="store_true", help="agrega el distrito de 1 000 000")
    ap.add_argument("--recargar", action="store_true", help="vuelve a copiar los distritos")
    ap.add_argument("--json", type=Path, default=RAIZ / "bench" / "resultados" / "postgis.json")
    a = ap.parse_args()
    base = os.environ.get("CATASTRO_PG")
    if not base:
        print("bench_postgis: no hay servidor PostGIS configurado (CATASTRO_PG); se omite. "
              "Prepárelo con: eval \"$(.ci/postgis.sh)\"")
        return 0
    tamanos = [int(t) for t in a.tamanos.split(",") if t]
    if a.millon and 1_000_000 not in tamanos:
        tamanos.append(1_000_000)
    import psycopg

    from geo.almacen.postgis import separar_url

    with psycopg.connect(separar_url(base)[0]) as c:
        version = c.execute("SELECT version(), postgis_lib_version()").fetchone()
    print(f"PostGIS {version[1]} · {version[0].split(',')[0]} · {os.cpu_count()} CPU")
    resultados = []
    for n in tamanos:
        url, t_carga = cargar(base, n, a.recargar)
        carga = f"copiado en {t_carga:.1f} s" if t_carga is not None else "ya cargado"
        print(f"\n{n:>9,} predios ({carga})", flush=True)
        t_leer, t_py, f_py = medir_python(url)
        print(f"  Python  calcular_frontis: {t_py:8.2f} s   (lectura desde PostGIS "
              f"{t_leer:.2f} s, aparte)", flush=True)
        pasos, f_sql = medir_sql(url)
        t_sql = sum(pasos.values())
        detalle = ", ".join(f"{k} {v:.1f}" for k, v in pasos.items())
        print(f"  PostGIS consulta directa: {t_sql:8.2f} s   ({detalle})")
        print(f"  PostGIS / Python = {t_sql / t_py:.1f} ×")
        x = f_py.merge(f_sql, on="huella", how="left").fillna({"frontis_sql_m": 0.0})
        dif = (x["frontis_sql_m"] - x["frontis_py_m"]).abs()
        print(f"  frontis por huella: total Python {x.frontis_py_m.sum():,.0f} m, PostGIS "
              f"{x.frontis_sql_m.sum():,.0f} m; difieren más de 0,5 m en "
              f"{(dif > 0.5).mean():.1%} de las {len(x):,} huellas (mediana {dif.median():.2f} m)")
        resultados.append({"predios": n, "python_s": round(t_py, 2),
                           "lectura_s": round(t_leer, 2), "postgis_s": round(t_sql, 2),
                           "postgis_pasos_s": {k: round(v, 2) for k, v in pasos.items()},
                           "razon": round(t_sql / t_py, 2),
                           "huellas": len(x), "difieren_mas_0_5m": round(float((dif > 0.5).mean()), 4),
                           "postgis": version[1], "cpu": os.cpu_count()})
    a.json.parent.mkdir(parents=True, exist_ok=True)
    a.json.write_text(json.dumps(resultados, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
