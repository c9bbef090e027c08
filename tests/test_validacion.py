"""Validación: un almacén mínimo válido y una variante rota por cada comprobación.

Cada variante rota debe dar su código específico, la salida 1 o 2, ninguna traza y ningún
archivo escrito.
"""

from __future__ import annotations

import sqlite3
import struct

import geopandas as gpd
import pytest
from shapely.geometry import LineString, Point, Polygon, box

from conftest import X0, Y0, capas_minimas, escribir


def _archivos(carpeta):
    return sorted(p.name for p in carpeta.iterdir())


def _roto(tmp_path, cambiar):
    capas = capas_minimas()
    cambiar(capas)
    return escribir(capas, tmp_path / "roto.gpkg")


def test_almacen_minimo_es_valido(almacen, validar_json):
    rc, codigos, rep = validar_json(almacen)
    assert rc == 0, rep["problemas"]
    assert codigos == []
    assert rep["elementos"]["predios"] == 4


def test_texto_en_espanol_y_apto(almacen, correr):
    rc, out, _ = correr("validar", almacen)
    assert rc == 0
    assert "APTO" in out and "4 elementos" in out


# --- (cambio sobre las capas mínimas, código esperado, elemento esperado) ---------------------

def _sin_capa(c):
    del c["vias"]


def _sin_columna(c):
    c["predios"] = c["predios"].drop(columns="uso")


def _uso_texto(c):
    c["predios"]["uso"] = c["predios"]["uso"].astype(object)
    c["predios"].loc[1, "uso"] = "comercio"


def _sin_crs(c):
    c["vias"] = c["vias"].set_crs(None, allow_override=True)


def _invalida(c):
    x, y = X0, Y0
    c["predios"].loc[0, "geometry"] = Polygon([(x, y), (x + 10, y + 20), (x + 10, y), (x, y + 20)])


def _vacia(c):
    c["predios"].loc[2, "geometry"] = Polygon()


def _tipo(c):
    c["predios"].loc[3, "geometry"] = LineString([(X0 + 30, Y0), (X0 + 40, Y0 + 20)])


def _duplicado(c):
    c["predios"].loc[1, "codigo"] = c["predios"].loc[0, "codigo"]


def _solape(c):
    # el lote 2 invade 2 m del lote 1: 2 × 20 = 40 m²
    c["predios"].loc[1, "geometry"] = box(X0 + 8, Y0, X0 + 20, Y0 + 20)


def _fuera(c):
    c["predios"].loc[3, "geometry"] = box(X0 + 90, Y0, X0 + 110, Y0 + 20)


def _uso_desconocido(c):
    c["predios"].loc[0, "uso"] = 11


def _area_negativa(c):
    c["predios"].loc[0, "area_construida_m2"] = -5.0


def _via_sin_nombre(c):
    c["vias"].loc[1, "nombre"] = None


def _zonas_solapadas(c):
    z = c["zonas_recoleccion"]
    c["zonas_recoleccion"] = gpd.GeoDataFrame(
        {"zona": ["A", "B"]},
        geometry=[box(X0 - 50, Y0 - 50, X0 + 30, Y0 + 100), box(X0 + 20, Y0 - 50, X0 + 100, Y0 + 100)],
        crs=z.crs)


def _condicion(c):
    c["predios"].loc[0, "condicion"] = "ong"


def _frecuencia(c):
    c["sectores_barrido"].loc[0, "frecuencia_semanal"] = 9


def _zona_desconocida(c):
    c["zonas_recoleccion"].loc[0, "zona"] = "C"


CASOS = [
    (_sin_capa, "CAPA_FALTANTE", "vias", ""),
    (_sin_columna, "COLUMNA_FALTANTE", "predios", ""),
    (_uso_texto, "VALOR_TIPO", "predios", "190301-01-001-002"),
    (_sin_crs, "CRS_AUSENTE", "vias", ""),
    (_invalida, "GEOM_INVALIDA", "predios", "190301-01-001-001"),
    (_vacia, "GEOM_VACIA", "predios", "190301-01-001-003"),
    (_tipo, "GEOM_TIPO", "predios", "190301-01-001-004"),
    (_duplicado, "CODIGO_DUPLICADO", "predios", "190301-01-001-001"),
    (_solape, "PREDIOS_SOLAPADOS", "predios", "190301-01-001-001"),
    (_fuera, "PREDIO_FUERA_DISTRITO", "predios", "190301-01-001-004"),
    (_uso_desconocido, "USO_DESCONOCIDO", "predios", "190301-01-001-001"),
    (_area_negativa, "AREA_NEGATIVA", "predios", "190301-01-001-001"),
    (_via_sin_nombre, "VIA_SIN_NOMBRE", "vias", "#1"),
    (_zonas_solapadas, "ZONAS_SOLAPADAS", "zonas_recoleccion", "A"),
    (_condicion, "CONDICION_DESCONOCIDA", "predios", "190301-01-001-001"),
    (_frecuencia, "FRECUENCIA_INVALIDA", "sectores_barrido", "1"),
    (_zona_desconocida, "ZONA_DESCONOCIDA", "zonas_recoleccion", "C"),
]


@pytest.mark.parametrize("cambiar,codigo,capa,elemento", CASOS, ids=[c[1] for c in CASOS])
def test_variante_rota(tmp_path, validar_json, cambiar, codigo, capa, elemento):
    ruta = _roto(tmp_path, cambiar)
    antes = _archivos(tmp_path)
    rc, codigos, rep = validar_json(ruta)
    assert rc == 1
    assert codigo in codigos, rep["problemas"]
    prob = next(p for p in rep["problemas"] if p["codigo"] == codigo)
    assert prob["capa"] == capa
    assert prob["elemento"] == elemento
    assert prob["severidad"] == "error"
    assert prob["mensaje"]  # en español, dice qué corregir
    assert _archivos(tmp_path) == antes  # nada escrito


def test_solape_da_area_y_unidades_ph_no_son_solape(tmp_path, validar_json):
    def cambiar(c):
        _solape(c)
        # dos unidades de un edificio con la misma huella: no es solape
        p = c["predios"]
        p["predio_matriz"] = [None, None, "190301-01-001-003", "190301-01-001-003"]
        p["participacion"] = [None, None, 0.5, 0.5]
        p.loc[3, "geometry"] = p.loc[2, "geometry"]
    rc, codigos, rep = validar_json(_roto(tmp_path, cambiar))
    solapes = [p for p in rep["problemas"] if p["codigo"] == "PREDIOS_SOLAPADOS"]
    assert len(solapes) == 1
    assert "40.00 m²" in solapes[0]["mensaje"]  # 2 m × 20 m
    assert "190301-01-001-002" in solapes[0]["mensaje"]


def test_solape_bajo_tolerancia_no_cuenta(tmp_path, validar_json):
    def cambiar(c):  # 0.04 m × 20 m = 0.8 m² < 1 m²
        c["predios"].loc[1, "geometry"] = box(X0 + 9.96, Y0, X0 + 20, Y0 + 20)
    rc, codigos, _ = validar_json(_roto(tmp_path, cambiar))
    assert rc == 0 and "PREDIOS_SOLAPADOS" not in codigos


def test_area_construida_excesiva_es_aviso(tmp_path, validar_json):
    def cambiar(c):
        c["predios"].loc[0, "area_construida_m2"] = 4_001.0  # > 20 × 200
    rc, codigos, rep = validar_json(_roto(tmp_path, cambiar))
    assert rc == 0
    assert codigos == ["AREA_CONSTRUIDA_EXCESIVA"]
    assert rep["problemas"][0]["severidad"] == "aviso"


def test_crs_geografico_se_acepta_con_aviso(tmp_path, validar_json):
    capas = {n: g.to_crs("EPSG:4326") for n, g in capas_minimas().items()}
    rc, codigos, rep = validar_json(escribir(capas, tmp_path / "grados.gpkg"))
    assert rc == 0, rep["problemas"]
    assert set(codigos) == {"CRS_GEOGRAFICO"}


def test_todos_los_problemas_no_solo_el_primero(tmp_path, validar_json):
    def cambiar(c):
        _duplicado(c)
        _uso_desconocido(c)
        _via_sin_nombre(c)
    rc, codigos, _ = validar_json(_roto(tmp_path, cambiar))
    assert rc == 1
    assert {"CODIGO_DUPLICADO", "USO_DESCONOCIDO", "VIA_SIN_NOMBRE"} <= set(codigos)


def test_archivo_inexistente_sale_2(tmp_path, correr):
    rc, out, err = correr("validar", tmp_path / "no_hay.gpkg")
    assert rc == 2
    assert "No existe" in err and "Traceback" not in err


def test_archivo_corrupto_sale_2(tmp_path, correr):
    ruta = tmp_path / "basura.gpkg"
    ruta.write_bytes(b"esto no es un geopackage" * 100)
    rc, out, err = correr("validar", ruta)
    assert rc == 2
    assert "dañado" in err and "Traceback" not in err
    assert _archivos(tmp_path) == ["basura.gpkg"]


def _sqlite_gpkg(ruta):
    con = sqlite3.connect(ruta)
    for f in ("ST_IsEmpty", "ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY"):
        con.create_function(f, 1, lambda _x: 0)  # los disparadores de GPKG las piden
    return con


def test_elemento_con_blob_danado_se_informa_por_indice(almacen, validar_json):
    con = _sqlite_gpkg(almacen)
    con.execute("update predios set geom = X'4750000300000000DEADBEEF' where fid = 3")
    con.commit()
    con.close()
    rc, codigos, rep = validar_json(almacen)
    assert rc == 1
    prob = next(p for p in rep["problemas"] if p["codigo"] == "GEOM_ILEGIBLE")
    assert prob["elemento"] == "#2"  # fid 3 = tercer elemento
    assert rep["elementos"]["predios"] == 4  # los demás se leyeron


def test_anillo_sin_cerrar_se_informa_por_indice(almacen, validar_json):
    # blob GPKG (cabecera 'GP', sin envolvente, srs 32718) + WKB de un polígono cuyo anillo no
    # cierra: lo que deja un CAD mal exportado.
    pts = [(X0, Y0), (X0 + 10, Y0), (X0 + 10, Y0 + 20), (X0, Y0 + 20)]
    wkb = struct.pack("<BII", 1, 3, 1) + struct.pack("<I", len(pts))
    wkb += b"".join(struct.pack("<dd", *p) for p in pts)
    blob = b"GP" + bytes([0, 1]) + struct.pack("<i", 32718) + wkb
    con = _sqlite_gpkg(almacen)
    con.execute("update predios set geom = ? where fid = 1", (blob,))
    con.commit()
    con.close()
    rc, codigos, rep = validar_json(almacen)
    assert rc == 1
    prob = next(p for p in rep["problemas"] if p["codigo"] == "GEOM_ILEGIBLE")
    assert prob["elemento"] == "#0"
    assert rep["elementos"]["predios"] == 4


def test_punto_en_predios_y_columnas_obligatorias_vacias(tmp_path, validar_json):
    def cambiar(c):
        c["predios"].loc[0, "geometry"] = Point(X0 + 5, Y0 + 5)
        c["predios"].loc[1, "codigo"] = None
    rc, codigos, rep = validar_json(_roto(tmp_path, cambiar))
    assert rc == 1
    assert "GEOM_TIPO" in codigos and "VALOR_FALTANTE" in codigos
    faltante = next(p for p in rep["problemas"] if p["codigo"] == "VALOR_FALTANTE")
    assert faltante["elemento"] == "#1"  # sin código: por índice
