"""Pruebas del generador del distrito de ejemplo (geo.generador).

Las cifras esperadas se copian de la ordenanza (Anexo N° 01) y se miden sobre las capas con
consultas escritas aquí, sin usar el informe ni los contadores del generador.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.capas import escribir_capas, leer_capas
from geo.esquema import CAPAS
from geo.generador import api, generar_distrito, informe_calibracion
from geo.generador.distrito import distrito_base, repartir_area

# Cuadros 20/21 (predios construidos por uso SNC) y 22/23 (área construida, m²)
ZONA_A = {1: 1893, 2: 922, 3: 26, 4: 42, 5: 71, 6: 62, 8: 43, 9: 13, 10: 3}
ZONA_B = {1: 391, 2: 105, 3: 12, 4: 23, 5: 4, 6: 7, 8: 28, 9: 4, 10: 6}
AREA_A = {1: 326476.29, 2: 199449.65, 3: 37232.87, 4: 42768.02, 5: 289014.16, 6: 189295.89,
          8: 2360.00, 9: 1620.00, 10: 82249.00}
AREA_B = {1: 209819.63, 2: 51027.93, 3: 28383.29, 4: 93134.52, 5: 57395.73, 6: 59568.25,
          8: 1387.01, 9: 1150.00, 10: 9744.39}
# Cuadro 47 (Industria 37 es imposible con 26 + 12: el generador da 38)
DISTRITO = {1: 3984, 2: 1647, 3: 38, 4: 165, 5: 95, 6: 69, 7: 386, 8: 71, 9: 17, 10: 9}
# Cuadro 27
AREAS_VERDES = {"Plaza Mayor": 8636.52, "Ex campo de aterrizaje": 93035.01,
                "Monumento por la paz": 73.76, "Malecón Tsachopen": 3940.49,
                "Malecón Yanachaga": 1209.07, "Berma central": 31357.90}


@pytest.fixture(scope="module")
def capas():
    return generar_distrito()


@pytest.fixture(scope="module")
def predios(capas):
    return capas["predios"]


@pytest.fixture(scope="module")
def zona(capas, predios):
    """Zona de recolección de cada predio: su punto representativo dentro del polígono."""
    pts = gpd.GeoDataFrame(geometry=predios.representative_point(), crs=predios.crs)
    j = gpd.sjoin(pts, capas["zonas_recoleccion"], how="left", predicate="within")
    assert not j.index.duplicated().any()
    return j["zona"]


def test_capas_columnas_tipos_y_crs(capas):
    assert set(capas) == set(CAPAS)
    for nombre, capa in CAPAS.items():
        gdf = capas[nombre]
        assert list(gdf.columns) == capa.nombres + ["geometry"], nombre
        assert gdf.crs == "EPSG:32718"
        assert len(gdf) > 0
        for c in capa.columnas:
            if c.tipo == "entero":
                assert gdf[c.nombre].dtype == np.int64, (nombre, c.nombre)
            elif c.tipo == "real":
                assert gdf[c.nombre].dtype == np.float64, (nombre, c.nombre)
            else:
                assert not gdf[c.nombre].isin([""]).any()
        tipos = set(gdf.geom_type)
        esperado = {"Polygon", "MultiPolygon"} if capa.geometria == "poligono" else {
            "LineString", "MultiLineString"}
        assert tipos <= esperado, (nombre, tipos)
    # cerca de Oxapampa
    assert capas["distrito"].geometry.iloc[0].contains(shapely.Point(455000, 8829000))


def test_determinista_por_semilla():
    a = distrito_base(466)
    b = distrito_base(466)
    for nombre in a:
        pd.testing.assert_frame_equal(a[nombre].drop(columns="geometry"),
                                      b[nombre].drop(columns="geometry"))
        assert (a[nombre].geometry.to_wkb() == b[nombre].geometry.to_wkb()).all(), nombre
    c = distrito_base(7)
    assert not a["predios"]["geometry"].geom_equals(c["predios"]["geometry"]).all()
    assert not a["predios"]["uso"].equals(c["predios"]["uso"])


def test_geopackage_identico(tmp_path, capas):
    r1 = escribir_capas(capas, tmp_path / "a.gpkg")
    r2 = escribir_capas(generar_distrito(), tmp_path / "b.gpkg")
    a, b = leer_capas(r1), leer_capas(r2)
    assert set(a) == set(CAPAS)
    for nombre in a:
        pd.testing.assert_frame_equal(a[nombre].drop(columns="geometry"),
                                      b[nombre].drop(columns="geometry"))
        assert (a[nombre].geometry.to_wkb() == b[nombre].geometry.to_wkb()).all()


def test_predios_por_uso_y_zona(predios, zona):
    construido = predios["uso"] != 7
    for z, metas in (("A", ZONA_A), ("B", ZONA_B)):
        cuenta = predios[construido & (zona == z)]["uso"].value_counts().to_dict()
        assert cuenta == metas, z
    assert predios["uso"].value_counts().to_dict() == DISTRITO
    assert len(predios) == 6481


def test_area_construida_por_uso_y_zona(predios, zona):
    for z, metas in (("A", AREA_A), ("B", AREA_B)):
        suma = predios[(zona == z) & (predios["uso"] != 7)].groupby("uso")["area_construida_m2"].sum()
        for uso, meta in metas.items():
            assert suma[uso] == pytest.approx(meta, rel=0.02), (z, uso)
    assert (predios.loc[predios["uso"] == 7, "area_construida_m2"] == 0).all()


def test_zona_urbana_y_terrenos(capas, predios, zona):
    pts = predios.representative_point()
    urbana = pts.within(capas["zona_urbana"].geometry.iloc[0])
    a = (zona == "A") & (predios["uso"] != 7)
    assert (a & urbana).sum() == pytest.approx(1935, rel=0.02)
    assert (a & ~urbana).sum() == pytest.approx(1140, rel=0.02)
    # los rurales: fuera de A, B y la zona urbana
    assert ((predios["uso"] == 7) & (zona == "A")).sum() > 300
    rurales = zona.isna()
    assert rurales.sum() > 2000 and not (rurales & urbana).any()


def test_exonerados_exactos(predios, zona):
    cond = predios["condicion"]
    construido = predios["uso"] != 7
    esperado = {"municipalidad": (31, 90, 27), "bomberos": (1, 0, 1),
                "iglesia_catolica": (1, 0, 1), "educacion_estatal": (11, 1, 11),
                "educacion_privada": (9, 0, 9), "salud_estatal": (1, 0, 1), "pnp": (4, 0, 1)}
    for clase, (constr, terrenos, en_a) in esperado.items():
        es = cond == clase
        assert (es & construido).sum() == constr, clase
        assert (es & ~construido).sum() == terrenos, clase
        assert (es & construido & (zona == "A")).sum() == en_a, clase
    assert set(cond.dropna()) == set(esperado)
    # usos plausibles
    assert set(predios.loc[cond == "educacion_estatal", "uso"]) == {5, 7}
    assert set(predios.loc[cond == "iglesia_catolica", "uso"]) == {6}
    assert (predios.loc[(cond == "salud_estatal"), "subuso"] == "Salud").all()


def test_areas_verdes(capas):
    av = capas["areas_verdes"]
    assert av["nombre"].is_unique
    for nombre, meta in AREAS_VERDES.items():
        assert av.loc[av["nombre"] == nombre].area.sum() == pytest.approx(meta, rel=0.01), nombre
    assert set(av["tipo"]) <= {"parque", "area_verde", "monumento", "malecon", "berma_central",
                               "jardin"}


def test_propiedad_horizontal(predios, zona):
    ph = predios[predios["predio_matriz"].notna()]
    assert ph["predio_matriz"].nunique() == 11
    for matriz, g in ph.groupby("predio_matriz"):
        assert g["participacion"].sum() == 1.0, matriz  # exacto (múltiplos de 1/1024)
        assert g.geometry.geom_equals_exact(g.geometry.iloc[0], tolerance=0).all()
        huella = g.geometry.iloc[0].area
        assert np.allclose(g["area_terreno_m2"], huella * g["participacion"], atol=0.01)
        assert (g["codigo"].str.startswith(matriz + "-")).all()
    comunes = predios[predios["uso"] == 10]
    assert comunes["predio_matriz"].notna().all()
    assert (zona[comunes.index] == "A").sum() == 3 and (zona[comunes.index] == "B").sum() == 6
    assert predios.loc[predios["predio_matriz"].isna(), "participacion"].isna().all()


def test_validez_y_reglas(capas, predios):
    assert predios.is_valid.all()
    assert predios["codigo"].is_unique
    assert predios["uso"].between(1, 10).all()
    assert predios.within(capas["distrito"].geometry.iloc[0]).all()
    huella = np.where(predios["predio_matriz"].notna(),
                      predios.area, predios["area_terreno_m2"])  # PH: la huella
    assert (predios["area_construida_m2"] <= 20 * huella).all()
    assert capas["vias"]["nombre"].notna().all() and (capas["vias"]["nombre"] != "").all()
    assert capas["vias"]["ancho_m"].isna().sum() > 0  # algunas sin ancho: se usa el defecto
    assert {"avenida", "jiron", "pasaje", "malecon", "paseo", "carretera"} <= set(
        capas["vias"]["tipo"])
    zonas = capas["zonas_recoleccion"].set_index("zona").geometry
    assert zonas["A"].intersection(zonas["B"]).area == 0
    for nombre in CAPAS:
        assert capas[nombre].is_valid.all(), nombre
    assert (predios.loc[predios["uso"] == 1, "habitantes"].between(1, 8)).all()
    assert predios["codigo"].str.match(r"^190301-(\d\d|C\d|R\d)-\d{3}-\d{3}(-\d{3})?$").all()
    docs = predios["documento"].str.len()
    assert docs.isin([8, 11]).all()


def test_sin_solapes_salvo_ph(predios):
    g = predios.loc[predios["predio_matriz"].isna()].geometry.to_numpy()
    a, b = shapely.STRtree(g).query(g, predicate="intersects")
    m = a < b
    solape = shapely.area(shapely.intersection(g[a[m]], g[b[m]]))
    assert solape.max() <= 1.0


def test_particiones(capas, predios):
    """Sectores de barrido y de recolección I–VIII parten la zona A; barrios, el distrito."""
    zona_a = capas["zonas_recoleccion"].set_index("zona").geometry["A"]
    for capa, filtro in (("sectores_barrido", None), ("sectores_recoleccion", "A")):
        g = capas[capa]
        if filtro:
            g = g[g["zona"] == filtro]
        assert sum(g.area) == pytest.approx(zona_a.area, rel=1e-6)
        assert shapely.union_all(g.geometry.to_numpy()).symmetric_difference(zona_a).area < 1
    assert len(capas["sectores_barrido"]) == 4
    assert (capas["sectores_barrido"]["frecuencia_semanal"] == 6).all()
    b = capas["sectores_recoleccion"]
    assert set(b.loc[b["zona"] == "B", "sector"]) == {
        "Quillazú", "Cantarizú", "Puente Paucartambo", "Sogorno", "Playa Pampa", "Churumazú",
        "Mesapata", "Esmeralda"}
    distrito = capas["distrito"].geometry.iloc[0]
    assert sum(capas["barrios"].area) == pytest.approx(distrito.area, rel=1e-6)
    assert 6 <= len(capas["barrios"]) <= 8
    assert capas["zona_urbana"].geometry.iloc[0].difference(zona_a).area < 1
    assert set(predios["barrio"]) <= set(capas["barrios"]["barrio"])


def test_frontis_declarado(predios, capas):
    urbanos = predios[predios["predio_matriz"].isna() & ~predios["codigo"].str.contains("-R")]
    decl = urbanos["frontis_declarado_m"].notna()
    assert 0.3 < decl.mean() < 0.45
    assert (urbanos.loc[decl, "frontis_declarado_m"] > 0).all()


def test_informe_calibracion(capas):
    inf = informe_calibracion(capas)
    assert list(inf.columns[:3]) == ["concepto", "cuadro", "generado"]
    assert {"concepto", "generado", "ordenanza", "diferencia_pct", "cumple", "nota"} <= set(
        inf.columns)
    metas = inf[~inf["nota"].str.contains("Informativo|Contradicción")]
    assert metas["cumple"].all(), metas[~metas["cumple"]]
    fila = inf.set_index("concepto").loc["Distrito · 3 Industria · predios"]
    assert not fila["cumple"] and "Contradicción" in fila["nota"]
    assert (inf["concepto"] == "Zona A · 1 Residencial · predios").any()


def test_escalado_20000():
    capas = generar_distrito(predios=20_000)
    p = capas["predios"]
    assert len(p) == 20_000 and p["codigo"].is_unique
    assert list(p.columns) == CAPAS["predios"].nombres + ["geometry"]
    ph = p[p["predio_matriz"].notna()]
    assert (ph.groupby("predio_matriz")["participacion"].sum() == 1.0).all()
    assert p.within(capas["distrito"].geometry.iloc[0]).all()
    assert set(capas) == set(CAPAS)
    assert capas["sectores_barrido"]["sector"].is_unique
    # la base en caché no se altera
    assert len(generar_distrito()["predios"]) == 6481


def test_escalado_pequeno_no_parte_edificios():
    p = generar_distrito(predios=6_500)["predios"]
    assert len(p) == 6_500 and p["codigo"].is_unique
    ph = p[p["predio_matriz"].notna()]
    assert (ph.groupby("predio_matriz")["participacion"].sum() == 1.0).all()


def test_repartir_area_respeta_topes():
    x = repartir_area(100.0, np.array([1.0, 1.0, 8.0]), np.array([50.0, 50.0, 20.0]))
    assert x.sum() == pytest.approx(100.0)
    assert (x <= [50, 50, 20]).all() and x[2] == 20.0
    with pytest.raises(ValueError, match="no caben"):
        repartir_area(100.0, np.ones(2), np.array([10.0, 10.0]))


def test_cache_devuelve_copias():
    a = generar_distrito()
    a["predios"].loc[0, "uso"] = 99
    assert generar_distrito()["predios"].loc[0, "uso"] != 99
    api._base.cache_info()
