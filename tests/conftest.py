"""Accesorios comunes: un almacén mínimo válido dibujado a mano y utilidades de la CLI."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import LineString, box

RAIZ = Path(__file__).resolve().parents[1]
DATOS_COMPARTIDOS = RAIZ.parent / "shared" / "datos"
CRS = "EPSG:32718"
X0, Y0 = 455_000.0, 8_829_000.0


def capas_minimas() -> dict[str, gpd.GeoDataFrame]:
    """Un distrito de juguete, válido: una manzana de 4 lotes de 10 × 20 m entre dos vías.

    Manzana: x 0–40, y 0–20 (relativo a X0, Y0). Vía norte en y = 25 (ancho 10 m), vía sur en
    y = -5. Un área verde al norte de la vía norte.
    """
    def b(x1, y1, x2, y2):
        return box(X0 + x1, Y0 + y1, X0 + x2, Y0 + y2)

    predios = gpd.GeoDataFrame(
        {
            "codigo": ["190301-01-001-001", "190301-01-001-002", "190301-01-001-003",
                       "190301-01-001-004"],
            "uso": [1, 2, 1, 7],
            "area_terreno_m2": [200.0, 200.0, 200.0, 200.0],
            "area_construida_m2": [120.0, 300.0, 90.0, 0.0],
            "condicion": [None, None, "educacion_estatal", None],
            "direccion": ["Jr. Grau 101", "Jr. Grau 111", "Jr. Grau 121", "Jr. Grau 131"],
            "contribuyente": ["Núñez Peña, José", "Müller Egg, Ana", "I.E. 34001", "Frey, Luis"],
        },
        geometry=[b(0, 0, 10, 20), b(10, 0, 20, 20), b(20, 0, 30, 20), b(30, 0, 40, 20)],
        crs=CRS,
    )
    vias = gpd.GeoDataFrame(
        {"nombre": ["Jr. Grau", "Jr. Bolognesi"], "tipo": ["jiron", "jiron"], "cuadra": [1, 1],
         "ancho_m": [10.0, 10.0]},
        geometry=[LineString([(X0 - 10, Y0 + 25), (X0 + 50, Y0 + 25)]),
                  LineString([(X0 - 10, Y0 - 5), (X0 + 50, Y0 - 5)])],
        crs=CRS,
    )
    todo = b(-50, -50, 100, 100)
    uno = lambda **kw: gpd.GeoDataFrame({k: [v] for k, v in kw.items()}, geometry=[todo], crs=CRS)
    return {
        "predios": predios,
        "vias": vias,
        "sectores_barrido": uno(sector="1", frecuencia_semanal=6),
        "zonas_recoleccion": uno(zona="A"),
        "sectores_recoleccion": uno(sector="I", zona="A"),
        "areas_verdes": gpd.GeoDataFrame(
            {"nombre": ["Plaza Mayor"], "tipo": ["parque"], "area_mantenimiento_m2": [400.0]},
            geometry=[b(0, 30, 20, 50)], crs=CRS),
        "distrito": uno(nombre="Distrito de juguete"),
        "zona_urbana": uno(nombre="Zona urbana"),
        "zonas_serenazgo": uno(zona="Única", indice_peligrosidad=1.0),
        "barrios": uno(barrio="Centro"),
    }


def escribir(capas: dict, ruta: Path) -> Path:
    for nombre, gdf in capas.items():
        gdf.to_file(ruta, layer=nombre, driver="GPKG", engine="pyogrio")
    return ruta


@pytest.fixture
def almacen(tmp_path) -> Path:
    return escribir(capas_minimas(), tmp_path / "minimo.gpkg")


@pytest.fixture
def correr(capsys):
    """Ejecuta la CLI en el proceso; devuelve (código de salida, stdout, stderr)."""
    from geo.cli import main

    def _correr(*args):
        rc = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return rc, out, err

    return _correr


@pytest.fixture
def validar_json(correr):
    """Valida y devuelve (código de salida, lista de códigos de problema, reporte)."""
    def _v(ruta):
        rc, out, err = correr("validar", ruta, "--formato", "json")
        assert "Traceback" not in out + err
        if rc == 2:
            return rc, [], err
        rep = json.loads(out)
        return rc, [p["codigo"] for p in rep["problemas"]], rep

    return _v
