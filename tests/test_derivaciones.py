"""Orquestación: columnas de salida, resumen, fiscalización y escritura en GeoPackage."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
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


def test_resumen_concuerda_en_numero_y_separa_los_miles():
    """Con un solo predio, de 10 m sobre una sola calle: «1 predio», «1 trozo»; las cuentas
    de cuatro cifras llevan coma de miles, y las partes de una lista van con «; »."""
    capas = distrito()
    p = capas["predios"]
    texto = derivar(dict(capas, predios=p[p.codigo == "M12"])).resumen()
    assert texto.startswith("Derivaciones de 1 predio\n")
    assert "Frontis: 10.00 m en total; 1 trozo; 0 predios sin frontis." in texto
    assert "Zonas de recolección: A: 1\n" in texto
    muchos = pd.concat([p[p.codigo == "M12"]] * 1250, ignore_index=True)
    muchos["codigo"] = [f"U{i}" for i in range(len(muchos))]
    texto = derivar(dict(capas, predios=muchos)).resumen()
    assert texto.startswith("Derivaciones de 1,250 predios\n")
    assert "Zonas de recolección: A: 1,250\n" in texto


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


def test_predio_sin_zona_por_predio_solo_dentro_del_area_esperada():
    # Zonas A (x < 15) y B (15 ≤ x < 700) hasta y = ±300 (ver distrito()); un predio nuevo en
    # y 400–410, dentro de la zona urbana pero fuera de las zonas → aviso propio. LD (x 600,
    # fuera de la zona urbana) queda dentro de la zona B; se agrega un rural lejano R1.
    capas = distrito()
    p = capas["predios"]
    nuevos = G.predios([box(0, 400, 10, 410), box(2000, 0, 2010, 10)], ["U1", "R1"])
    capas["predios"] = gpd.GeoDataFrame(pd.concat([p, nuevos], ignore_index=True), crs=G.CRS)
    capas["zona_urbana"] = G.capa([box(-300, -300, 300, 500)], nombre=["urbana"])
    d = derivar(capas)
    propios = sorted(a.elemento for a in d.avisos if a.codigo == "PREDIO_SIN_ZONA" and a.elemento)
    assert propios == ["U1"]
    (res,) = [a for a in d.avisos if a.codigo == "PREDIO_SIN_ZONA" and not a.elemento]
    assert res.mensaje.startswith("1 predio queda fuera") and "R1" in res.mensaje
    assert "PREDIO_SIN_ZONA 2" in d.resumen()


# --- igualdad con la versión anterior (antes de la optimización) ------------------------------

OXAPAMPA = Path(__file__).resolve().parents[1] / "capas" / "oxapampa.gpkg"
ANTES = Path(__file__).resolve().parent / "datos"


@pytest.mark.skipif(not OXAPAMPA.exists(), reason="falta capas/oxapampa.gpkg")
def test_oxapampa_igual_que_antes_de_optimizar():
    # Salida de referencia sobre el distrito por defecto (6481 predios), guardada en tests/datos
    # antes de cada optimización de los algoritmos (zonas y sectores por partes, área verde
    # más cercana por segmentos, vecinos sin una geometría por segmento, …): frontis y trozos
    # al centímetro, distancias a 0,01 m, zonas, sectores, categorías y marcas iguales. Si se
    # regenera capas/oxapampa.gpkg, se regenera también esta referencia (con el código vigente).
    from geo.flujo import cargar_capas

    d = derivar(cargar_capas(OXAPAMPA))
    antes = pd.read_csv(ANTES / "oxapampa_derivados_antes.csv.gz", dtype=str,
                        keep_default_na=False, na_values=[""])
    for col in ("frontis_m", "distancia_area_verde_m"):
        antes[col] = antes[col].astype(float)
    ahora = d.predios[antes.columns].reset_index(drop=True)
    assert (np.round(ahora["frontis_m"] * 100) == np.round(antes["frontis_m"] * 100)).all()
    dist_a, dist_b = antes["distancia_area_verde_m"], ahora["distancia_area_verde_m"]
    assert ((dist_a == dist_b) | (dist_a.isna() & dist_b.isna())).all()
    for col in antes.columns.drop(["frontis_m", "distancia_area_verde_m"]):
        a = [str(x) for x in antes[col].astype(object).fillna("")]
        b = [str(x) for x in ahora[col].astype(object).fillna("")]
        assert a == b, col

    claves = ["codigo", "via", "cuadra", "sector_barrido"]
    fa = pd.read_csv(ANTES / "oxapampa_frentes_antes.csv.gz",
                     dtype={"codigo": str, "via": str, "sector_barrido": str})
    fb = pd.DataFrame(d.frentes[claves + ["longitud_m"]])
    fa["cuadra"], fb["cuadra"] = fa["cuadra"].astype(float), fb["cuadra"].astype(float)
    fa, fb = (f.sort_values(claves).reset_index(drop=True) for f in (fa, fb))
    assert fa[claves].fillna("").astype(str).equals(fb[claves].fillna("").astype(str))
    assert (np.round(fa.longitud_m * 100) == np.round(fb.longitud_m * 100)).all()

    ma = pd.read_csv(ANTES / "oxapampa_microrutas_antes.csv.gz", dtype={"sector": str, "via": str})
    mb = pd.DataFrame(d.microrutas.drop(columns="geometry"))
    assert ma["longitud_ml"].tolist() == mb["longitud_ml"].tolist()
    assert ma["ml_semanal"].tolist() == mb["ml_semanal"].tolist()
    assert ma["via"].tolist() == mb["via"].tolist()
