"""Benchmark de los mapas publicables: tiempo, memoria pico y tamaño de cada archivo.

Parte del distrito de ejemplo (``geo.generador.generar_distrito``), lo deriva y calcula sus
arbitrios; para tamaños mayores que el generado, replica el distrito derivado en una
cuadrícula de copias desplazadas (códigos con sufijo ``~N``), así que las geometrías y los
popups son los reales. Cada tamaño corre en un proceso aparte para medir su memoria pico.

Uso::

    python bench/bench_mapas.py [--tamanos 6500,100000] [--imprimir] [--navegador]

``--navegador`` mide además cuánto tarda Chromium (``/usr/bin/chromium``, con playwright) en
dejar cada mapa listo. Resultados en ``bench/resultados/mapas.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RAIZ = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(RAIZ))
RESULTADOS = RAIZ / "bench" / "resultados"
TITULO = "Ordenanza Municipal N° 466-2019-M.P.O."


def distrito_base():
    """Capas, predios derivados, frentes, micro-rutas y arbitrios del distrito de ejemplo."""
    from geo.derivaciones import derivar
    from geo.generador import generar_distrito
    from geo.ordenanza import cargar_ordenanza
    from geo.tarifas import calcular_tarifas
    from geo.tarifas.salidas import tabla_predios

    capas = generar_distrito()
    d = derivar(capas)
    arbitrios = tabla_predios(calcular_tarifas(d.predios, d.frentes, cargar_ordenanza()))
    return capas, d.predios, d.frentes, d.microrutas, arbitrios


def replicar(base, n: int):
    """Copias desplazadas del distrito hasta tener al menos ``n`` predios."""
    import geopandas as gpd
    import pandas as pd

    capas, predios, frentes, microrutas, arbitrios = base
    copias = 1 if n <= len(predios) * 1.1 else math.ceil(n / len(predios))
    if copias == 1:
        return base
    x0, y0, x1, y1 = capas["distrito"].total_bounds
    dx, dy = (x1 - x0) + 200, (y1 - y0) + 200
    lado = math.ceil(math.sqrt(copias))

    def tejer(gdf, codigo: str | None = None):
        partes = []
        for i in range(copias):
            g = gdf.copy()
            g.geometry = g.geometry.translate((i % lado) * dx, (i // lado) * dy)
            if codigo and i:
                g[codigo] = g[codigo].astype(str) + f"~{i}"
            partes.append(g)
        return gpd.GeoDataFrame(pd.concat(partes, ignore_index=True), crs=gdf.crs)

    def tabla(df):
        partes = []
        for i in range(copias):
            t = df.copy()
            if i:
                t["codigo"] = t["codigo"].astype(str) + f"~{i}"
            partes.append(t)
        return pd.concat(partes, ignore_index=True)

    capas_n = {k: tejer(v) for k, v in capas.items() if k != "predios"}
    return (capas_n, tejer(predios, "codigo"), tejer(frentes, "codigo"), tejer(microrutas),
            tabla(arbitrios))


def medir_en_proceso(n: int, imprimir: bool, salida: Path) -> dict:
    """Corre un tamaño (se llama en un proceso hijo)."""
    from geo.mapas import publicar_mapas

    t = time.perf_counter()
    datos = replicar(distrito_base(), n)
    preparar = time.perf_counter() - t
    t = time.perf_counter()
    rutas = publicar_mapas(*datos, TITULO, salida)
    interactivos = time.perf_counter() - t
    imprimibles = None
    if imprimir:  # las láminas aparte, para ver cuánto cuesta cada parte
        from geo.mapas.imprimibles import publicar_laminas
        from geo.mapas.temas import construir_temas

        t = time.perf_counter()
        laminas = publicar_laminas(construir_temas(*datos), TITULO, salida, dt.date.today())
        imprimibles = time.perf_counter() - t
        rutas += [r for par in laminas.values() for r in par] + [salida / "anexo-mapas.pdf"]
    return {
        "predios": len(datos[1]), "imprimir": imprimir,
        "preparar_s": round(preparar, 1), "interactivos_s": round(interactivos, 1),
        "imprimibles_s": None if imprimibles is None else round(imprimibles, 1),
        "memoria_pico_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "archivos": {r.name: round(r.stat().st_size / 1e6, 2) for r in rutas},
    }


def medir_navegador(salida: Path) -> dict:
    """Segundos hasta que cada mapa está dibujado en Chromium (sin red)."""
    from playwright.sync_api import sync_playwright

    tiempos = {}
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                               args=["--no-sandbox", "--disable-gpu"])
        for html in sorted(salida.glob("*.html")):
            if html.name == "index.html":
                continue
            pagina = b.new_page(viewport={"width": 1400, "height": 900})
            t = time.perf_counter()
            pagina.goto(html.as_uri(), timeout=600_000)
            pagina.wait_for_function("window.catastro !== undefined", timeout=600_000)
            tiempos[html.name] = round(time.perf_counter() - t, 1)
            pagina.close()
        b.close()
    return tiempos


def main() -> int:
    p = argparse.ArgumentParser(description="Benchmark de los mapas publicables")
    p.add_argument("--tamanos", default="6500,100000")
    p.add_argument("--imprimir", action="store_true", help="incluir las láminas A3")
    p.add_argument("--navegador", action="store_true", help="medir la carga en Chromium")
    p.add_argument("--_hijo", nargs=3, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args._hijo:  # proceso hijo: un tamaño, resultado JSON por stdout
        n, imprimir, salida = int(args._hijo[0]), args._hijo[1] == "1", Path(args._hijo[2])
        r = medir_en_proceso(n, imprimir, salida)
        if args.navegador:
            r["navegador_s"] = medir_navegador(salida)
        print(json.dumps(r))
        return 0
    RESULTADOS.mkdir(parents=True, exist_ok=True)
    resultados = []
    for n in (int(x) for x in args.tamanos.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            orden = [sys.executable, __file__, "--_hijo", str(n), "1" if args.imprimir else "0",
                     tmp] + (["--navegador"] if args.navegador else [])
            proc = subprocess.run(orden, capture_output=True, text=True, cwd=RAIZ, check=False,
                                  env=os.environ | {"PYTHONWARNINGS": "ignore"})
            if proc.returncode:
                print(proc.stderr[-2000:], file=sys.stderr)
                return proc.returncode
            r = json.loads(proc.stdout.strip().splitlines()[-1])
        resultados.append(r)
        mayor = max(r["archivos"].items(), key=lambda kv: kv[1])
        laminas = f", láminas A3 {r['imprimibles_s']:.1f} s" if r["imprimibles_s"] else ""
        print(f"{r['predios']:>8} predios: mapas interactivos {r['interactivos_s']:.1f} s"
              f"{laminas} (preparar datos {r['preparar_s']:.1f} s), memoria pico "
              f"{r['memoria_pico_mb']} MB, mayor archivo {mayor[0]} {mayor[1]:.1f} MB")
        for nombre, mb in r["archivos"].items():
            nav = r.get("navegador_s", {}).get(nombre)
            print(f"           {nombre:<26}{mb:>8.2f} MB" + (f"   Chromium {nav} s" if nav else ""))
    (RESULTADOS / "mapas.json").write_text(json.dumps(resultados, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
