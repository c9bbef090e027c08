"""Frontis contra datos reales: 142 lotes de MapPLUTO (Greenwich Village, Nueva York).

``LotFront`` es el frente registrado por el tasador (pies → ``lotfront_m``), no calculado
del polígono. Se comparan los lotes interiores de manzana (``LotType`` 5) y se cuenta cuántos
lotes de esquina (``LotType`` 3) reciben exactamente dos trozos.

Los datos entran por el mismo camino que los de un usuario: ``catastro importar`` de los lotes
(EPSG:32118, reproyectados a EPSG:32718) y de los ejes de vía, que no traen ancho
(``--estimar-ancho``: distancia eje–lindero de manzana), y ``catastro derivar``. Lo que un
catastro de aquí tendría y este recorte no trae se completa como lo haría el usuario en QGIS:
``uso`` 1 y ``area_construida_m2`` 0 (no intervienen en el frontis); un solo sector de barrido,
zona de recolección, zona de serenazgo, distrito y zona urbana, que son el rectángulo del
estudio; y el parque de Washington Square (un lote de PLUTO) como área verde.

Errores grandes conocidos (ver el README de los datos): las casas de Washington Mews dan a un
lote privado (frontis 0 por construcción) y las que dan atrás a MacDougal Alley suman ese
fondo, que PLUTO no cuenta; por eso se informa también el error del trozo más largo. Con los
ejes de la ciudad, de los 19 lotes interiores con error > 1 m: 3 son de Washington Mews, 10
dan atrás a MacDougal Alley (dos trozos: calle y callejón), 4 dan a dos o tres calles aunque
PLUTO los llame interiores (dos de ellos, condominios 75xx de manzana entera), y 2 quedan a
1,27 y 1,36 m (uno irregular).

Ejecute con ``pytest -s`` para ver los números.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from geo.cli import main

DATOS = Path(__file__).parents[1] / ".." / "shared" / "datos" / "nyc_mappluto_greenwich_village"
CAPAS_VIAS = {"osm": ("streets_osm.gpkg", "name"),
              "ejes": ("streets_centerline_jjjiia.gpkg", "Full_Name")}

pytestmark = pytest.mark.skipif(
    not (DATOS / "parcels.gpkg").exists(),
    reason=f"No están los datos de Nueva York en {DATOS.resolve()}: esta prueba compara el "
           "frontis con MapPLUTO y necesita ../shared/datos.",
)


def catastro(*args) -> str:
    """Una orden de la CLI, en este proceso; devuelve lo que imprimió (falla si no sale 0)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main([str(a) for a in args])
    assert rc == 0, f"catastro {' '.join(map(str, args))} → {rc}\n{out.getvalue()}{err.getvalue()}"
    return out.getvalue()


def derivar_como_usuario(carpeta: Path, capa_vias: str, estimar_ancho: bool = True):
    """Arma el almacén con ``catastro importar`` y deriva con ``catastro derivar``.

    Returns ``(lotes de PLUTO, predios derivados, frentes, lo que imprimió derivar)``."""
    lotes = gpd.read_file(DATOS / "parcels.gpkg")
    almacen = carpeta / "nyc.gpkg"
    completos = lotes.assign(uso=1, area_construida_m2=0.0)  # lo que el usuario completa
    completos.to_file(carpeta / "lotes.gpkg", engine="pyogrio")
    catastro("importar", carpeta / "lotes.gpkg", "--capa", "predios",
             "--mapeo", "codigo=BBL,area_terreno_m2=lotarea_m2", "--destino", almacen)
    archivo, columna = CAPAS_VIAS[capa_vias]
    catastro("importar", DATOS / archivo, "--capa", "vias", "--mapeo", f"nombre={columna}",
             "--destino", almacen, *(["--estimar-ancho"] if estimar_ancho else []))
    estudio = gpd.read_file(DATOS / "study_boundary.gpkg")[["geometry"]]
    parque = lotes.loc[lotes["LandUse"] == "09", ["geometry"]]
    for capa, tabla in (("distrito", estudio.assign(nombre="Greenwich Village")),
                        ("zona_urbana", estudio.assign(nombre="Manhattan")),
                        ("sectores_barrido", estudio.assign(sector="1", frecuencia_semanal=7)),
                        ("zonas_recoleccion", estudio.assign(zona="A")),
                        ("zonas_serenazgo", estudio.assign(zona="1")),
                        ("areas_verdes", parque.assign(nombre="Washington Square Park",
                                                       tipo="parque"))):
        tabla.to_file(carpeta / f"{capa}.gpkg", engine="pyogrio")
        catastro("importar", carpeta / f"{capa}.gpkg", "--capa", capa, "--destino", almacen)
    salida = carpeta / "derivados.gpkg"
    texto = catastro("derivar", almacen, "--salida", salida)
    predios = gpd.read_file(salida, layer="predios")
    frentes = gpd.read_file(salida, layer="frentes")
    return lotes, predios, frentes, texto


def medir(carpeta: Path, capa_vias: str) -> dict:
    lotes, predios, fr, _ = derivar_como_usuario(carpeta, capa_vias)
    lotes = lotes.set_index("BBL")
    registrado = lotes["lotfront_m"]
    tipo = pd.to_numeric(lotes["LotType"], errors="coerce")
    total = predios.set_index("codigo")["frontis_m"]
    assert sorted(total.index) == sorted(lotes.index)  # ningún lote perdido en el camino
    mayor = fr.groupby("codigo")["longitud_m"].max().reindex(total.index).fillna(0.0)
    interior = tipo[tipo == 5].index
    e_total = (total[interior] - registrado[interior]).abs()
    e_mayor = (mayor[interior] - registrado[interior]).abs()
    rel = e_total / registrado[interior]
    esquinas = tipo[tipo == 3].index
    trozos = fr.groupby("codigo").size().reindex(esquinas).fillna(0)
    r = {
        "interiores": len(interior),
        "mediana_m": float(e_total.median()),
        "p90_m": float(e_total.quantile(0.9)),
        "mediana_pct": float(100 * rel.median()),
        "p90_pct": float(100 * rel.quantile(0.9)),
        "dentro_1m_pct": float(100 * (e_total <= 1.0).mean()),
        "mayor_mediana_m": float(e_mayor.median()),
        "mayor_p90_m": float(e_mayor.quantile(0.9)),
        "mayor_dentro_1m_pct": float(100 * (e_mayor <= 1.0).mean()),
        "esquinas": len(esquinas),
        "esquinas_dos_trozos": int((trozos == 2).sum()),
        "sin_frontis": int((total[interior] == 0).sum()),
    }
    print(
        f"\n[NYC, vías {capa_vias}] {r['interiores']} lotes interiores: error |derivado − "
        f"LotFront| mediana {r['mediana_m']:.2f} m ({r['mediana_pct']:.1f} %), p90 "
        f"{r['p90_m']:.2f} m ({r['p90_pct']:.1f} %), {r['dentro_1m_pct']:.0f} % a ≤ 1 m; "
        f"trozo más largo: mediana {r['mayor_mediana_m']:.2f} m, p90 {r['mayor_p90_m']:.2f} m, "
        f"{r['mayor_dentro_1m_pct']:.0f} % a ≤ 1 m; sin frontis {r['sin_frontis']}. "
        f"Esquinas con exactamente dos trozos: {r['esquinas_dos_trozos']} de {r['esquinas']}."
    )
    return r


@pytest.fixture(scope="module")
def ejes(tmp_path_factory):
    return medir(tmp_path_factory.mktemp("nyc_ejes"), "ejes")


def test_nyc_ejes_lotes_interiores(ejes):
    assert ejes["interiores"] == 87
    assert ejes["mediana_m"] <= 0.5
    assert ejes["dentro_1m_pct"] >= 75
    # el trozo principal (sin el fondo a MacDougal Alley) casi siempre coincide
    assert ejes["mayor_p90_m"] <= 1.0
    assert ejes["sin_frontis"] <= 5  # Washington Mews (3) + holgura


def test_nyc_ejes_esquinas_dos_trozos(ejes):
    assert ejes["esquinas_dos_trozos"] >= 0.7 * ejes["esquinas"]


def test_nyc_osm(tmp_path):
    # OSM no trae algunos callejones ni todos los tramos: más lotes sin vía.
    r = medir(tmp_path, "osm")
    assert r["mediana_m"] <= 1.0
    assert r["dentro_1m_pct"] >= 50


def test_nyc_sin_estimar_el_ancho_el_resumen_dice_por_que(tmp_path):
    # Las calles de Manhattan miden ~15–35 m entre linderos; sin ancho ni tipo se miden con
    # 8 m y casi ningún lote llega a su vía. El resumen de derivar lo dice y dice qué hacer.
    lotes, predios, _, texto = derivar_como_usuario(tmp_path, "ejes", estimar_ancho=False)
    sin = int((predios["frontis_m"] == 0).sum())
    assert sin >= 0.9 * len(lotes)
    assert "Vías sin ancho_m: 217 de 217" in texto and "(217 con 8 m)" in texto
    assert "--estimar-ancho" in texto
