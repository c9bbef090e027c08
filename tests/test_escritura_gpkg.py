"""geo.capas.escribir_capa_gpkg: el mismo GeoPackage que pyogrio con promote_to_multi."""

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from shapely.geometry import LineString, MultiLineString, MultiPolygon, Point, Polygon, box

from geo.capas import escribir_capa_gpkg

CRS = "EPSG:32718"


def _leer(ruta, capa):
    info = pyogrio.read_info(ruta, layer=capa)
    return gpd.read_file(ruta, layer=capa), info


@pytest.mark.parametrize("gdf, tipo", [
    (gpd.GeoDataFrame(
        {"codigo": ["P1", "P2", "P3", "P4"], "texto": ["x", None, "z", "w"],
         "vacia": [None] * 4, "entero": pd.array([1, None, 3, 4], dtype="Int64"),
         "real": [1.5, np.nan, 2.0, 0.25]},
        geometry=[box(0, 0, 10, 15), MultiPolygon([box(0, 0, 1, 1), box(2, 2, 3, 3)]),
                  Polygon([(0, 0), (4, 0), (4, 4), (0, 4)], [[(1, 1), (2, 1), (2, 2), (1, 1)]]),
                  None], crs=CRS), "MultiPolygon"),
    (gpd.GeoDataFrame(
        {"longitud_m": [2.83, 2.83, 1.41]},
        geometry=[LineString([(0, 0), (1, 1), (2, 5)]),
                  MultiLineString([[(0, 0), (1, 1)], [(3, 3), (4, 4)]]),
                  LineString([(9, 9), (8, 8)])], crs=CRS), "MultiLineString"),
    (gpd.GeoDataFrame({"n": [1, 2]}, geometry=[Point(1, 2), Point(3, 4)], crs="EPSG:4326"),
     "MultiPoint"),
])
def test_igual_que_pyogrio_promote_to_multi(tmp_path, gdf, tipo):
    nuestro, oraculo = tmp_path / "nuestro.gpkg", tmp_path / "pyogrio.gpkg"
    escribir_capa_gpkg(gdf, nuestro, "capa")
    pyogrio.write_dataframe(gdf, oraculo, layer="capa", driver="GPKG", promote_to_multi=True)
    a, info_a = _leer(nuestro, "capa")
    b, info_b = _leer(oraculo, "capa")
    assert info_a["geometry_type"] == info_b["geometry_type"] == tipo
    assert list(info_a["fields"]) == list(info_b["fields"])
    assert list(info_a["dtypes"]) == list(info_b["dtypes"])
    assert a.crs == b.crs == gdf.crs
    pd.testing.assert_frame_equal(pd.DataFrame(a.drop(columns="geometry")),
                                  pd.DataFrame(b.drop(columns="geometry")))
    ga, gb = a.geometry.to_numpy(), b.geometry.to_numpy()
    assert (shapely.is_missing(ga) == shapely.is_missing(gb)).all()
    ok = ~shapely.is_missing(ga)
    assert (shapely.to_wkb(ga[ok]) == shapely.to_wkb(gb[ok])).all()
    # cada geometría simple llega como multi de una parte, con las mismas coordenadas
    orig = gdf.geometry.to_numpy()[ok]
    assert (shapely.get_type_id(ga[ok]) == {"MultiPolygon": 6, "MultiLineString": 5,
                                             "MultiPoint": 4}[tipo]).all()
    assert np.array_equal(shapely.get_coordinates(ga[ok]), shapely.get_coordinates(orig))


def test_poligono_promovido_byte_a_byte(tmp_path):
    """El WKB guardado de un polígono es el de MultiPolygon([polígono]), hecho por shapely."""
    p = box(400000, 8800000, 400010, 8800015)
    escribir_capa_gpkg(gpd.GeoDataFrame({"codigo": ["A"]}, geometry=[p], crs=CRS),
                       tmp_path / "a.gpkg", "predios")
    leido = gpd.read_file(tmp_path / "a.gpkg", layer="predios").geometry.iloc[0]
    assert shapely.to_wkb(leido) == shapely.to_wkb(MultiPolygon([p]))


def test_wkb_armado_en_numpy_igual_al_de_shapely():
    """Las líneas y los polígonos sin huecos se arman en numpy (sin shapely.to_wkb); el resto
    por shapely. Los bytes deben ser los de shapely.to_wkb(multi de una parte), fila por fila,
    con las filas de los dos caminos mezcladas en su orden."""
    from geo.capas import _wkb_multi

    tri = Polygon([(0, 0), (1, 0), (1, 1)])
    hueco = Polygon([(0, 0), (10, 0), (10, 10), (0, 10)], [[(2, 2), (3, 2), (3, 3)]])
    linea = LineString([(0.5, 0.25), (1, 1), (2, 0)])
    geoms = np.array([
        box(400000, 8800000, 400010, 8800015), hueco, None, Polygon(), tri,
        MultiPolygon([tri, box(5, 5, 6, 6)]), linea, MultiLineString([[(0, 0), (1, 1)]]),
        LineString(), Point(3, 4), LineString([(9, 9), (8, 8)]),
    ], dtype=object)
    obtenido = _wkb_multi(geoms).to_pylist()
    multi = {"Polygon": MultiPolygon, "LineString": MultiLineString}
    for g, wkb in zip(geoms, obtenido):
        if g is None:
            assert wkb is None
            continue
        promovida = multi[g.geom_type]([g]) if g.geom_type in multi and not g.is_empty else g
        if g.geom_type == "Point":
            promovida = shapely.MultiPoint([g])
        esperado = shapely.to_wkb(promovida, byte_order=1)
        if g.is_empty:  # multi de una parte vacía: cabecera multi + la parte tal cual
            esperado = bytes([1, {"Polygon": 6, "LineString": 5}[g.geom_type], 0, 0, 0,
                              1, 0, 0, 0]) + shapely.to_wkb(g, byte_order=1)
        assert wkb == esperado, g.wkt


def test_escritura_aparte_por_lotes_igual_que_en_el_proceso(tmp_path, monkeypatch):
    """El proceso escritor recibe la capa en lotes (aquí de 100 filas: 3 lotes) y escribe lo
    mismo que escribir_capa_gpkg, con una columna que solo tiene valores en el último lote y
    otra toda vacía."""
    import geo.capas as C

    monkeypatch.setattr(C, "FILAS_POR_LOTE", 100)
    n = 250
    gdf = gpd.GeoDataFrame(
        {"codigo": [f"P{i:03d}" for i in range(n)],
         "tarde": [None] * 200 + ["x"] * 50, "vacia": [None] * n,
         "cuadra": pd.array([i % 7 if i % 5 else None for i in range(n)], dtype="Int64")},
        geometry=[LineString([(i, 0), (i + 0.5, 1)]) if i % 9 else
                  MultiLineString([[(i, 0), (i, 1)], [(i, 2), (i, 3)]]) for i in range(n)],
        crs=CRS)
    escribir_capa_gpkg(gdf, tmp_path / "aqui.gpkg", "frentes")
    aparte = C.EscrituraAparte(gdf, tmp_path / "aparte.gpkg", "frentes")
    aparte.esperar()
    a, info_a = _leer(tmp_path / "aqui.gpkg", "frentes")
    b, info_b = _leer(tmp_path / "aparte.gpkg", "frentes")
    assert info_b["features"] == n and info_b["geometry_type"] == "MultiLineString"
    assert list(info_a["dtypes"]) == list(info_b["dtypes"])
    pd.testing.assert_frame_equal(pd.DataFrame(a.drop(columns="geometry")),
                                  pd.DataFrame(b.drop(columns="geometry")))
    assert (shapely.to_wkb(a.geometry.to_numpy()) == shapely.to_wkb(b.geometry.to_numpy())).all()


def test_escritura_aparte_grande_que_falla_dice_por_que(tmp_path):
    """Con una capa que no cabe en la tubería (varios MB), el proceso que falla al abrir el
    destino la corta, y el hilo que manda se encuentra la tubería rota: el error que se
    informa es el del proceso (por qué no pudo escribir), no «tubería rota»."""
    from geo.capas import EscrituraAparte

    n = 60_000  # ~6 MB de WKB y atributos: más que la tubería de 1 MB
    gdf = gpd.GeoDataFrame({"codigo": [f"P{i:06d}" for i in range(n)]},
                           geometry=[LineString([(i, 0), (i, 1), (i + 1, 2)]) for i in range(n)],
                           crs=CRS)
    aparte = EscrituraAparte(gdf, tmp_path / "no_existe" / "x.gpkg", "frentes")
    with pytest.raises(RuntimeError, match="capa 'frentes' en otro proceso"):
        aparte.esperar()


def test_escritura_aparte_manda_cada_lote_apenas_esta_listo(tmp_path, monkeypatch):
    """El proceso recibe el primer lote mientras aquí se arma el siguiente: el WKB del último
    lote espera (hasta 10 s) a que el hilo que manda ya haya sacado una tabla de la cola. Si
    los lotes se armaran todos antes de mandar nada, la espera se vencería."""
    import queue
    import threading

    import geo.capas as C

    monkeypatch.setattr(C, "FILAS_POR_LOTE", 2)
    mandada = threading.Event()

    class Cola(queue.SimpleQueue):
        def get(self, *a, **k):
            pieza = super().get(*a, **k)
            if pieza is not None and not isinstance(pieza, tuple):  # una tabla, no la cabecera
                mandada.set()
            return pieza

    monkeypatch.setattr(C.queue, "SimpleQueue", Cola)
    esperas = []
    original = C._wkb_multi

    def wkb(geom):
        if len(esperas) == 1:  # el segundo (y último) lote
            esperas.append(mandada.wait(10))
        else:
            esperas.append(None)
        return original(geom)

    monkeypatch.setattr(C, "_wkb_multi", wkb)
    gdf = gpd.GeoDataFrame({"n": [1, 2, 3, 4]},
                           geometry=[LineString([(i, 0), (i, 1)]) for i in range(4)], crs=CRS)
    aparte = C.EscrituraAparte(gdf, tmp_path / "aparte.gpkg", "frentes")
    aparte.esperar()
    assert esperas == [None, True]
    assert pyogrio.read_info(tmp_path / "aparte.gpkg", layer="frentes")["features"] == 4


def test_escritura_aparte_que_falla_dice_por_que_en_una_linea(tmp_path):
    from geo.capas import EscrituraAparte

    gdf = gpd.GeoDataFrame({"n": [1]}, geometry=[LineString([(0, 0), (1, 1)])], crs=CRS)
    aparte = EscrituraAparte(gdf, tmp_path / "no_existe" / "x.gpkg", "frentes")
    with pytest.raises(RuntimeError, match="capa 'frentes' en otro proceso") as e:
        aparte.esperar()
    assert "Traceback" not in str(e.value) and "\n" not in str(e.value)


def _dos_capas(ruta, ocultar: bool):
    """``frentes`` y después ``predios`` en ``ruta``; con ``ocultar``, ``predios`` se escribe
    dentro de :func:`geo.capas.como_primera_capa`. Devuelve las capas que GDAL veía mientras
    se escribía ``predios``."""
    from geo.capas import como_primera_capa

    lineas = gpd.GeoDataFrame({"codigo": [f"P{i}" for i in range(40)]},
                              geometry=[LineString([(i, 0), (i, 5)]) for i in range(40)], crs=CRS)
    lotes = gpd.GeoDataFrame({"codigo": [f"P{i}" for i in range(40)], "n": range(40)},
                             geometry=[box(i, 0, i + 1, 5) for i in range(40)], crs=CRS)
    escribir_capa_gpkg(lineas, ruta, "frentes")
    vistas = []
    if ocultar:
        with como_primera_capa(ruta, ["frentes"]):
            try:
                vistas = [n for n, _ in pyogrio.list_layers(ruta)]
            except pyogrio.errors.DataSourceError:  # sin ninguna capa, GDAL no lo abre
                vistas = []
            escribir_capa_gpkg(lotes, ruta, "predios")
    else:
        escribir_capa_gpkg(lotes, ruta, "predios")
    return vistas


def _metadatos(ruta):
    import sqlite3

    with sqlite3.connect(ruta) as con:
        return {
            "contents": sorted(con.execute(
                "SELECT table_name, data_type, identifier, min_x, min_y, max_x, max_y, srs_id "
                "FROM gpkg_contents")),
            "geometry_columns": sorted(con.execute("SELECT * FROM gpkg_geometry_columns")),
            "extensions": sorted(con.execute("SELECT * FROM gpkg_extensions"), key=str),
            "ogr_contents": sorted(con.execute("SELECT * FROM gpkg_ogr_contents")),
            "integridad": con.execute("PRAGMA integrity_check").fetchone()[0],
        }


def test_como_primera_capa_deja_el_mismo_geopackage(tmp_path):
    """GDAL no ve ``frentes`` mientras se escribe ``predios``, y al salir los metadatos y las
    filas son los mismos que escribiendo una capa detrás de otra."""
    normal, oculta = tmp_path / "normal.gpkg", tmp_path / "oculta.gpkg"
    _dos_capas(normal, ocultar=False)
    assert _dos_capas(oculta, ocultar=True) == []  # frentes, oculta
    assert _metadatos(oculta) == _metadatos(normal)
    assert _metadatos(oculta)["integridad"] == "ok"
    assert {n for n, _ in pyogrio.list_layers(oculta)} == {"frentes", "predios"}
    # ventana x 10,5–12,5: las líneas x = 11 y 12; los lotes de x 10–11, 11–12 y 12–13
    en_ventana = {"frentes": ["P11", "P12"], "predios": ["P10", "P11", "P12"]}
    for capa in ("frentes", "predios"):
        a, b = gpd.read_file(normal, layer=capa), gpd.read_file(oculta, layer=capa)
        pd.testing.assert_frame_equal(pd.DataFrame(a.drop(columns="geometry")),
                                      pd.DataFrame(b.drop(columns="geometry")))
        assert shapely.equals_exact(a.geometry.to_numpy(), b.geometry.to_numpy(), 0).all()
        # el índice espacial responde igual
        ventana = (10.5, 1, 12.5, 2)
        assert (gpd.read_file(oculta, layer=capa, bbox=ventana)["codigo"].tolist()
                == gpd.read_file(normal, layer=capa, bbox=ventana)["codigo"].tolist()
                == en_ventana[capa])


_HILO_RTREE = """
import sys
import pyogrio
pyogrio.set_gdal_config_options({"CPL_DEBUG": "ON",
                                 "OGR_GPKG_THREADED_RTREE_AT_FIRST_FEATURE": "YES"})
sys.path.insert(0, sys.argv[1])
from test_escritura_gpkg import _dos_capas
_dos_capas(sys.argv[2], ocultar=sys.argv[3] == "si")
"""


def test_como_primera_capa_deja_que_gdal_arme_el_indice_en_otro_hilo(tmp_path):
    """Lo que se gana: GDAL arma el R-tree de ``predios`` en otro hilo (su mensaje de
    depuración «background RTree»), cosa que no hace en una capa agregada a un archivo con
    otras. Con pocas filas, GDAL lo hace así solo con su opción para pruebas."""
    import subprocess
    import sys

    corridas = iter(range(10))

    def hilos(ocultar: bool) -> int:
        ruta = tmp_path / f"{next(corridas)}.gpkg"
        r = subprocess.run([sys.executable, "-c", _HILO_RTREE, str(Path(__file__).parent),
                            str(ruta), "si" if ocultar else "no"],
                           capture_output=True, text=True, check=True)
        return r.stderr.count("Creating background RTree DB")

    if hilos(False) == 0:  # frentes, primera capa de un archivo nuevo: con su hilo
        pytest.skip("este GDAL no arma el R-tree en otro hilo")
    assert hilos(False) == 1  # solo frentes
    assert hilos(True) == 2  # frentes y predios


def test_como_primera_capa_sin_tablas_de_extensiones(tmp_path):
    """Un GeoPackage sin ``gpkg_extensions`` ni ``gpkg_ogr_contents`` (p. ej. escrito por
    otro programa): no falla, y la capa oculta vuelve igual."""
    import sqlite3

    from geo.capas import como_primera_capa

    ruta = tmp_path / "d.gpkg"
    _dos_capas(ruta, ocultar=False)
    with sqlite3.connect(ruta) as con:
        for tabla in ("gpkg_extensions", "gpkg_ogr_contents"):
            con.execute(f"DROP TABLE {tabla}")
    antes = sorted(sqlite3.connect(ruta).execute("SELECT * FROM gpkg_contents"))
    lotes = gpd.GeoDataFrame({"codigo": ["Q1"]}, geometry=[box(0, 0, 1, 1)], crs=CRS)
    with como_primera_capa(ruta, ["frentes", "predios"]):
        escribir_capa_gpkg(lotes, ruta, "otra")
    despues = sorted(sqlite3.connect(ruta).execute("SELECT * FROM gpkg_contents"))
    assert [f for f in despues if f[0] != "otra"] == antes
    assert {n for n, _ in pyogrio.list_layers(ruta)} == {"frentes", "predios", "otra"}
    assert gpd.read_file(ruta, layer="frentes")["codigo"].tolist() == [f"P{i}" for i in range(40)]
