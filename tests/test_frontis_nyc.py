"""Frontis contra datos reales: 142 lotes de MapPLUTO (Greenwich Village, Nueva York).

``LotFront`` es el frente registrado por el tasador (pies → ``lotfront_m``), no calculado
del polígono. Se comparan los lotes interiores de manzana (``LotType`` 5) y se cuenta cuántos
lotes de esquina (``LotType`` 3) reciben exactamente dos trozos. Las vías no traen ancho: se
estima con :func:`geo.frontis.estimar_ancho_vias` (distancia eje–lindero de manzana).

Errores grandes conocidos (ver el README de los datos): las casas de Washington Mews dan a un
lote privado (frontis 0 por construcción) y las que dan atrás a MacDougal Alley suman ese
fondo, que PLUTO no cuenta; por eso se informa también el error del trozo más largo.

Ejecute con ``pytest -s`` para ver los números.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from geo.derivaciones import derivar
from geo.frontis import estimar_ancho_vias

DATOS = Path(__file__).parents[1] / ".." / "shared" / "datos" / "nyc_mappluto_greenwich_village"
CAPAS_VIAS = {"osm": ("streets_osm.gpkg", "name"),
              "ejes": ("streets_centerline_jjjiia.gpkg", "Full_Name")}

pytestmark = pytest.mark.skipif(
    not (DATOS / "parcels.gpkg").exists(),
    reason=f"No están los datos de Nueva York en {DATOS.resolve()}: esta prueba compara el "
           "frontis con MapPLUTO y necesita ../shared/datos.",
)


def cargar(capa_vias: str):
    import geopandas as gpd

    p = gpd.read_file(DATOS / "parcels.gpkg")
    p = p.rename(columns={"BBL": "codigo"})
    p["LotType"] = pd.to_numeric(p["LotType"], errors="coerce")
    archivo, col = CAPAS_VIAS[capa_vias]
    v = gpd.read_file(DATOS / archivo).rename(columns={col: "nombre"})[["nombre", "geometry"]]
    return p, estimar_ancho_vias(v, p)


def medir(capa_vias: str) -> dict:
    p, v = cargar(capa_vias)
    d = derivar({"predios": p, "vias": v})
    fr = d.frentes
    registrado = p.set_index("codigo")["lotfront_m"]
    tipo = p.set_index("codigo")["LotType"]
    total = d.predios.set_index("codigo")["frontis_m"]
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
def ejes():
    return medir("ejes")


def test_nyc_ejes_lotes_interiores(ejes):
    assert ejes["mediana_m"] <= 0.5
    assert ejes["dentro_1m_pct"] >= 75
    # el trozo principal (sin el fondo a MacDougal Alley) casi siempre coincide
    assert ejes["mayor_p90_m"] <= 1.0
    assert ejes["sin_frontis"] <= 5  # Washington Mews (3) + holgura


def test_nyc_ejes_esquinas_dos_trozos(ejes):
    assert ejes["esquinas_dos_trozos"] >= 0.7 * ejes["esquinas"]


def test_nyc_osm():
    # OSM no trae algunos callejones ni todos los tramos: más lotes sin vía.
    r = medir("osm")
    assert r["mediana_m"] <= 1.0
    assert r["dentro_1m_pct"] >= 50
