"""Orquestación: columnas de salida, resumen, fiscalización y escritura en GeoPackage."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import box

import geometrias as G
from geo.derivaciones import COLUMNAS_DERIVADAS, derivar, escribir_derivados
from geo.errores import ErrorCRS, ErrorDatos


def distrito():
    capas = G.barrio_con_parque()
    p = capas["predios"]
    # declarado = medido a mano (esquinas 25 m, medios 10 m, sueltos sin calle 0 m)…
    esquinas = {"M11", "M14", "M21", "M24", "E11", "E14", "E21", "E24"}
    p["frontis_declarado_m"] = [25.0 if c in esquinas else 0.0 if c[0] == "L" else 10.0
                                for c in p.codigo]
    p.loc[p.codigo == "L99", "frontis_declarado_m"] = 3.0  # 3 m y mide 0 → fiscalizar
    # …salvo estos:
    p.loc[p.codigo == "M12", "frontis_declarado_m"] = 6.0  # -4 → fiscalizar
    p.loc[p.codigo == "M24", "frontis_declarado_m"] = 20.0  # +5 → fiscalizar (sector de 7 días)
    p["direccion"] = "Jr. X"
    p["contribuyente"] = "Fulano"
    p["barrio"] = "Declarado"
    capas["sectores_barrido"] = G.sectores_diagonal()
    capas["zonas_recoleccion"] = G.capa([box(-300, -300, 15, 300), box(15, -300, 700, 300)],
                                        zona=["A", "B"])
    capas["zonas_serenazgo"] = G.capa([box(-300, -300, 700, 300)], zona=["1"])
    return capas


def test_columnas_de_salida_y_entrada_intactas():
    capas = distrito()
    d = derivar(capas)
    assert list(d.predios.columns[: len(capas["predios"].columns)]) == list(
        capas["predios"].columns)
    for c in COLUMNAS_DERIVADAS:
        assert c in d.predios.columns
    assert len(d.predios) == len(capas["predios"])
    assert set(d.frentes.columns) >= {"codigo", "via", "cuadra", "sector_barrido",
                                      "frecuencia_semanal", "longitud_m", "geometry"}
    m = d.predios.set_index("codigo")
    assert m.at["M11", "frontis_m"] == 25.0
    assert m.at["M11", "sector_barrido"] == "2"  # su trozo más largo: 15 m al Jr. Oeste
    assert m.at["M12", "zona_recoleccion"] == "A"
    assert "zona_recoleccion_dividida" in m.at["M12", "flags"]
    assert pd.isna(m.at["L99", "sector_barrido"])  # sin frontis
    assert "frontis_sin_via" in m.at["L99", "flags"]
    assert m.at["M12", "barrio"] == "Declarado"  # sin capa de barrios
    assert m.at["M12", "diferencia_frontis_m"] == 4.0


def test_resumen_en_espanol():
    texto = derivar(distrito()).resumen()
    assert "Categoría de parques" in texto
    assert "A Frente a área verde: 4" in texto
    assert "Predios sin frontis: 3 (L99, L101, LD)" in texto
    assert "sector 1" in texto
    assert "Zonas de recolección: A:" in texto


def test_fiscalizacion_ordenada_por_impacto():
    d = derivar(distrito())
    f = d.fiscalizacion()
    # M24: |25 - 20| = 5 m; su trozo más largo (15 m, Jr. Este) está en el sector 1 (7 días) → 35.
    # M12: |10 - 6| = 4 m, sector 1 → 28. L99 declara 3 y mide 0, sin sector → 3 × 1.
    assert f["codigo"].tolist() == ["M24", "M12", "L99"]
    assert f["impacto"].tolist() == [35.0, 28.0, 3.0]
    assert "contribuyente" not in f.columns
    g = d.fiscalizacion(tarifa_barrido_ml_mes=1.5, incluir_personales=True)
    assert g["impacto"].tolist() == [7.5, 6.0, 4.5]
    assert "contribuyente" in g.columns


def test_fiscalizacion_umbral_10_por_ciento():
    capas = distrito()
    p = capas["predios"]
    p["frontis_declarado_m"] = p["frontis_declarado_m"].astype(float)
    p.loc[p.codigo == "M11", "frontis_declarado_m"] = 28.0  # 3 m > máx(2; 2,8) → sí
    p.loc[p.codigo == "M14", "frontis_declarado_m"] = 27.6  # 2,6 m < máx(2; 2,76) → no
    f = derivar(capas).fiscalizacion()
    assert "M11" in f.codigo.tolist()
    assert "M14" not in f.codigo.tolist()


def test_propiedad_horizontal_en_derivar():
    capas = distrito()
    p = capas["predios"]
    m21 = p[p.codigo == "M21"].geometry.iloc[0]
    unidades = G.predios([box(0, 15, 10, 30)] * 2, ["M21-A", "M21-B"],
                         predio_matriz=["M21", "M21"], participacion=[0.6, 0.4])
    unidades = unidades.set_geometry([m21, m21])
    capas["predios"] = gpd.GeoDataFrame(
        pd.concat([p[p.codigo != "M21"], unidades], ignore_index=True), crs=p.crs)
    d = derivar(capas).predios.set_index("codigo")
    assert d.at["M21-A", "frontis_m"] == 15.0 and d.at["M21-B", "frontis_m"] == 10.0
    assert d.at["M21-A", "categoria_parques"] == d.at["M21-B", "categoria_parques"] == "A"


def test_escribir_derivados_gpkg(tmp_path):
    d = derivar(distrito())
    ruta = escribir_derivados(d, tmp_path / "derivados.gpkg", incluir_personales=False)
    capas = dict(pyogrio.list_layers(ruta))
    assert capas == {"predios": "MultiPolygon", "frentes": "MultiLineString",
                     "microrutas": "MultiLineString"}
    p = gpd.read_file(ruta, layer="predios")
    assert "contribuyente" not in p.columns
    assert p.crs == G.CRS
    f = gpd.read_file(ruta, layer="frentes")
    assert f["longitud_m"].sum() == pytest.approx(d.frentes["longitud_m"].sum())


def test_distancia_red_en_derivar():
    d = derivar(distrito(), distancia="red")
    assert d.distancia == "red"
    assert "por la red" in d.resumen()


def test_errores():
    capas = distrito()
    with pytest.raises(ErrorDatos, match="Falta la capa obligatoria 'vias'"):
        derivar({"predios": capas["predios"]})
    with pytest.raises(ErrorDatos, match="distancia"):
        derivar(capas, distancia="x")
    capas["zona_urbana"] = capas["zona_urbana"].to_crs("EPSG:32717")
    with pytest.raises(ErrorCRS, match="EPSG:32717"):
        derivar(capas)
