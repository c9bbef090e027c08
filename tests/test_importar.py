"""Importación: cada formato de origen, CRS, codificación latin-1, mapeo y errores por elemento."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString, Polygon, box

from conftest import CRS, X0, Y0, capas_minimas, escribir


def _lotes_origen(crs=CRS) -> gpd.GeoDataFrame:
    """Dos lotes con nombres de columna 'municipales' y caracteres del castellano."""
    return gpd.GeoDataFrame(
        {
            "COD_PRED": ["190301-01-001-001", "190301-01-001-002"],
            "USO": [1, 2],
            "A_TERR": [200.0, 200.0],
            "A_CONS": [120.0, 300.0],
            "PROPIET": ["Núñez Peña, José", "Iñigo Müñoz, Ángela"],
            "OBS": ["esquina", "frente a la plaza"],
        },
        geometry=[box(X0, Y0, X0 + 10, Y0 + 20), box(X0 + 10, Y0, X0 + 20, Y0 + 20)],
        crs=crs,
    )


MAPEO = "codigo=COD_PRED,uso=USO,area_terreno_m2=A_TERR,area_construida_m2=A_CONS," \
        "contribuyente=PROPIET"


def _importar(correr, tmp_path, origen, *extra):
    destino = tmp_path / "almacen.gpkg"
    rc, out, err = correr("importar", origen, "--capa", "predios", "--mapeo", MAPEO,
                          "--destino", destino, *extra)
    assert "Traceback" not in out + err
    return rc, out, err, destino


def test_shapefile_latin1_sin_cpg(tmp_path, correr):
    shp = tmp_path / "lotes.shp"
    _lotes_origen().to_file(shp, encoding="latin1", engine="pyogrio")
    cpg = shp.with_suffix(".cpg")
    if cpg.exists():
        cpg.unlink()  # como los DBF peruanos: sin .cpg
    raw = shp.with_suffix(".dbf").read_bytes()
    assert "Núñez".encode("latin1") in raw  # de verdad está en latin-1
    rc, out, err, destino = _importar(correr, tmp_path, shp)
    assert rc == 0, out + err
    p = gpd.read_file(destino, layer="predios")
    assert p["contribuyente"].tolist() == ["Núñez Peña, José", "Iñigo Müñoz, Ángela"]
    assert p["OBS"].tolist() == ["esquina", "frente a la plaza"]  # columna no mapeada, conservada
    assert "OBS" in out


def test_geojson_en_4326_se_acepta_y_reproyecta(tmp_path, correr):
    # Un punto en el meridiano central del huso 18 (−75°) cae en E = 500 000 m exactos en UTM.
    lon, lat = -75.0, -10.58
    d = 0.0001
    geo = gpd.GeoDataFrame(
        {"COD_PRED": ["A"], "USO": [1], "A_TERR": [1.0], "A_CONS": [0.0], "PROPIET": ["x"]},
        geometry=[Polygon([(lon, lat), (lon + d, lat), (lon + d, lat + d), (lon, lat + d)])],
        crs="EPSG:4326",
    )
    ruta = tmp_path / "lotes.geojson"
    geo.to_file(ruta, driver="GeoJSON", engine="pyogrio")
    rc, out, err, destino = _importar(correr, tmp_path, ruta)
    assert rc == 0, out + err
    p = gpd.read_file(destino, layer="predios")
    assert p.crs.to_epsg() == 32718
    x0 = p.geometry.iloc[0].exterior.coords[0][0]
    assert x0 == pytest.approx(500_000.0, abs=0.01)
    # 0.0001° de longitud a 10.58° S ≈ 10.9 m; de latitud ≈ 11.06 m: área ≈ 121 m²
    assert p.geometry.area.iloc[0] == pytest.approx(121, rel=0.02)


def test_sin_crs_se_rechaza_salvo_que_se_indique(tmp_path, correr):
    ruta = tmp_path / "sin_prj.shp"
    _lotes_origen().set_crs(None, allow_override=True).to_file(ruta, engine="pyogrio")
    assert not ruta.with_suffix(".prj").exists()
    rc, out, err, destino = _importar(correr, tmp_path, ruta)
    assert rc == 1
    assert "CRS_AUSENTE" in err and "--crs" in err
    assert not destino.exists()  # nada escrito
    rc, out, err, destino = _importar(correr, tmp_path, ruta, "--crs", "EPSG:32718")
    assert rc == 0
    assert gpd.read_file(destino, layer="predios").total_bounds[0] == pytest.approx(X0)


def test_geojson_en_metros_sin_crs_se_rechaza(tmp_path, correr):
    # GeoJSON sin CRS se lee como EPSG:4326; con coordenadas UTM eso es un error que se dice.
    ruta = tmp_path / "utm_sin_crs.geojson"
    _lotes_origen().set_crs(None, allow_override=True).to_file(ruta, driver="GeoJSON",
                                                                engine="pyogrio")
    rc, out, err, destino = _importar(correr, tmp_path, ruta)
    assert rc == 1 and "CRS_INCOHERENTE" in err and "--crs" in err
    assert not destino.exists()


def test_psad56_se_reproyecta(tmp_path, correr):
    ruta = tmp_path / "psad56.gpkg"
    _lotes_origen().to_crs("EPSG:24878").to_file(ruta, layer="lotes", engine="pyogrio")
    rc, out, err, destino = _importar(correr, tmp_path, ruta)
    assert rc == 0 and "EPSG:24878" in out
    p = gpd.read_file(destino, layer="predios")
    # ida y vuelta PSAD56 ↔ WGS84 con la misma transformación: vuelve al mismo lugar (< 1 cm)
    assert p.total_bounds[0] == pytest.approx(X0, abs=0.01)


def test_csv_con_wkt(tmp_path, correr):
    origen = _lotes_origen()
    df = pd.DataFrame(origen.drop(columns="geometry"))
    df["WKT"] = origen.geometry.to_wkt()
    ruta = tmp_path / "lotes.csv"
    df.to_csv(ruta, index=False)
    rc, out, err, destino = _importar(correr, tmp_path, ruta, "--crs", "EPSG:32718")
    assert rc == 0, out + err
    p = gpd.read_file(destino, layer="predios")
    assert p.geometry.area.tolist() == pytest.approx([200.0, 200.0])
    assert p["uso"].tolist() == [1, 2]


def test_valor_inconvertible_se_informa_por_elemento_sin_perder_filas(tmp_path, correr):
    origen = _lotes_origen()
    origen["USO"] = ["1", "comercio"]
    ruta = tmp_path / "lotes.gpkg"
    origen.to_file(ruta, engine="pyogrio")
    rc, out, err, destino = _importar(correr, tmp_path, ruta)
    assert rc == 1
    assert "190301-01-001-002" in out and "'comercio'" in out
    p = gpd.read_file(destino, layer="predios")
    assert len(p) == 2 and pd.isna(p["uso"].iloc[1])


def test_mapeo_con_columna_inexistente(tmp_path, correr):
    ruta = tmp_path / "lotes.gpkg"
    _lotes_origen().to_file(ruta, engine="pyogrio")
    rc, out, err = correr("importar", ruta, "--capa", "predios", "--mapeo", "codigo=NO_EXISTE",
                          "--destino", tmp_path / "a.gpkg")
    assert rc == 1 and "NO_EXISTE" in err and "COD_PRED" in err


def test_dxf_polilineas_cerradas_y_textos(tmp_path, correr):
    ezdxf = pytest.importorskip("ezdxf")
    doc = ezdxf.new()
    msp = doc.modelspace()
    for i, cod in enumerate(["190301-01-001-001", "190301-01-001-002"]):
        x = X0 + 10 * i
        msp.add_lwpolyline([(x, Y0), (x + 10, Y0), (x + 10, Y0 + 20), (x, Y0 + 20)], close=True)
        msp.add_text(cod).set_placement((x + 2, Y0 + 10))
    ruta = tmp_path / "plano.dxf"
    doc.saveas(ruta)
    destino = tmp_path / "almacen.gpkg"
    rc, out, err = correr("importar", ruta, "--capa", "predios", "--crs", "EPSG:32718",
                          "--mapeo", "codigo=texto", "--destino", destino)
    assert rc == 1  # uso y áreas no vienen en el DXF: se informan como faltantes
    p = gpd.read_file(destino, layer="predios")
    assert sorted(p["codigo"]) == ["190301-01-001-001", "190301-01-001-002"]
    assert p.geometry.area.tolist() == pytest.approx([200.0, 200.0])


def test_importar_reemplaza_una_capa_sin_tocar_las_demas(tmp_path, correr):
    almacen = escribir(capas_minimas(), tmp_path / "almacen.gpkg")
    ruta = tmp_path / "lotes.gpkg"
    _lotes_origen().to_file(ruta, engine="pyogrio")
    rc, out, err = correr("importar", ruta, "--capa", "predios", "--mapeo", MAPEO,
                          "--destino", almacen)
    assert rc == 0
    assert len(gpd.read_file(almacen, layer="predios")) == 2
    assert len(gpd.read_file(almacen, layer="vias")) == 2


def test_formato_desconocido_sale_2(tmp_path, correr):
    ruta = tmp_path / "lotes.xls"
    ruta.write_text("x")
    rc, out, err = correr("importar", ruta, "--capa", "predios")
    assert rc == 2 and "no admitido" in err


def test_csv_con_wkt_ilegible_dice_la_fila(tmp_path, correr):
    origen = _lotes_origen()
    df = pd.DataFrame(origen.drop(columns="geometry"))
    df["WKT"] = origen.geometry.to_wkt()
    df.loc[1, "WKT"] = "POLYGON ((1 2, 3"  # segunda fila de datos: fila 3 contando la cabecera
    ruta = tmp_path / "lotes.csv"
    df.to_csv(ruta, index=False)
    rc, out, err, destino = _importar(correr, tmp_path, ruta, "--crs", "EPSG:32718")
    assert rc == 1 and "CSV_WKT_INVALIDO" in err
    assert "filas 3 " in err
    assert not destino.exists()


# --- ancho de las vías estimado de los linderos de manzana -----------------------------------


def _vias_sin_ancho(tmp_path) -> Path:
    """Tres ejes: Jr. Ancho a 9 m del lindero norte de la manzana de capas_minimas (sin ancho),
    Jr. Bolognesi a 5 m del lindero sur con ancho_m = 12 declarado, y Jr. Lejos a 180 m de
    todo predio (sin ancho)."""
    vias = gpd.GeoDataFrame(
        {"NOMBRE": ["Jr. Ancho", "Jr. Bolognesi", "Jr. Lejos"], "tipo": ["jiron"] * 3,
         "ancho_m": [None, 12.0, None]},
        geometry=[LineString([(X0 - 10, Y0 + 29), (X0 + 50, Y0 + 29)]),
                  LineString([(X0 - 10, Y0 - 5), (X0 + 50, Y0 - 5)]),
                  LineString([(X0 - 10, Y0 + 200), (X0 + 50, Y0 + 200)])],
        crs=CRS)
    ruta = tmp_path / "ejes.gpkg"
    vias.to_file(ruta, engine="pyogrio")
    return ruta


def test_estimar_ancho_de_las_vias(tmp_path, correr):
    almacen = escribir(capas_minimas(), tmp_path / "almacen.gpkg")
    rc, out, err = correr("importar", _vias_sin_ancho(tmp_path), "--capa", "vias", "--mapeo",
                          "nombre=NOMBRE", "--destino", almacen, "--estimar-ancho")
    assert rc == 0, out + err
    v = gpd.read_file(almacen, layer="vias")
    # Jr. Ancho: predios solo al sur, lindero a 9 m del eje → semiancho 9 → ancho 18 m
    assert v["ancho_m"].iloc[0] == pytest.approx(18.0)
    assert v["ancho_m"].iloc[1] == 12.0  # declarado: no se toca
    assert pd.isna(v["ancho_m"].iloc[2])  # sin predios a menos de 25 m: queda sin ancho
    assert v["ancho_fuente"].tolist()[:2] == ["estimado", "origen"]
    assert pd.isna(v["ancho_fuente"].iloc[2])
    assert list(v.columns) == ["nombre", "tipo", "ancho_m", "ancho_fuente", "geometry"]
    assert "en 1 de 3 vías (mediana 18.0 m, de 18.0 a 18.0 m)" in out
    assert "1 ya traían ancho_m" in out and "1 quedan sin ancho" in out
    # volver a importarla desde el mismo almacén: lo estimado sigue diciéndolo
    rc, out, err = correr("importar", almacen, "--capa-origen", "vias", "--capa", "vias",
                          "--destino", almacen, "--estimar-ancho")
    assert rc == 0, out + err
    v = gpd.read_file(almacen, layer="vias")
    assert v["ancho_fuente"].tolist()[:2] == ["estimado", "origen"]
    assert v["ancho_m"].tolist()[:2] == pytest.approx([18.0, 12.0])
    assert "2 ya traían ancho_m y se respetan (1 de ellas, estimadas antes)" in out


def test_estimar_ancho_sin_predios_en_el_destino(tmp_path, correr):
    destino = tmp_path / "nuevo.gpkg"
    rc, _, err = correr("importar", _vias_sin_ancho(tmp_path), "--capa", "vias", "--mapeo",
                        "nombre=NOMBRE", "--destino", destino, "--estimar-ancho")
    assert rc == 1
    assert "hace falta la capa 'predios'" in err and "--capa predios" in err
    assert not destino.exists()  # no se escribió nada


def test_estimar_ancho_solo_para_vias(tmp_path, correr):
    ruta = tmp_path / "lotes.gpkg"
    _lotes_origen().to_file(ruta, engine="pyogrio")
    rc, _, err, destino = _importar(correr, tmp_path, ruta, "--estimar-ancho")
    assert rc == 1 and "--capa vias" in err
    assert not destino.exists()


def test_columnas_faltantes_no_se_cuentan_como_valores(tmp_path, correr):
    ruta = tmp_path / "lotes.gpkg"
    origen = _lotes_origen()
    origen["USO"] = ["1", "comercio"]
    origen.to_file(ruta, engine="pyogrio")
    rc, out, _ = correr("importar", ruta, "--capa", "predios", "--mapeo",
                        "codigo=COD_PRED,uso=USO", "--destino", tmp_path / "a.gpkg")
    assert rc == 1
    assert "Faltan 2 columnas obligatorias:" in out  # las dos áreas
    assert "Un valor no se pudo convertir y quedó vacío:" in out  # 'comercio'
    assert "valores no se pudieron convertir" not in out
