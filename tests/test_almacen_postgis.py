"""Almacén PostGIS contra un servidor real (``CATASTRO_PG``; ver ``.ci/postgis.sh``).

Sin ``CATASTRO_PG`` las pruebas se omiten con un mensaje claro; en CI (``CI=true``) fallan: CI
no puede pasar en verde sin haberlas corrido. Cada prueba trabaja en su propio esquema, que se
borra al final.
"""

from __future__ import annotations

import os
import threading
import uuid

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from conftest import CRS, X0, Y0, capas_minimas, escribir
from shapely.geometry import box

pytestmark = pytest.mark.postgis

MENSAJE_SIN_PG = ("No hay servidor PostGIS configurado (CATASTRO_PG): se omiten las pruebas de "
                  "PostGIS")
P1, P2, P3, P4 = (f"190301-01-001-00{i}" for i in range(1, 5))


@pytest.fixture(scope="session")
def url_pg() -> str:
    url = os.environ.get("CATASTRO_PG", "").strip()
    if not url:
        if os.environ.get("CI", "").strip().lower() in ("1", "true", "yes"):
            pytest.fail("No hay servidor PostGIS configurado (CATASTRO_PG) y en CI las pruebas "
                        "de PostGIS son obligatorias: .ci/run debe exportarlo con "
                        "eval \"$(.ci/postgis.sh)\".")
        pytest.skip(MENSAJE_SIN_PG)
    return url


@pytest.fixture
def url(url_pg, tmp_path):
    """URL de un almacén PostGIS recién copiado del distrito de juguete (esquema propio)."""
    import psycopg

    from geo.almacen.postgis import copiar_a_postgis, separar_url

    esquema = "prueba_" + uuid.uuid4().hex[:10]
    u = url_pg + ("&" if "?" in url_pg else "?") + f"esquema={esquema}"
    copiar_a_postgis(escribir(capas_minimas(), tmp_path / "minimo.gpkg"), u)
    yield u
    with psycopg.connect(separar_url(u)[0], autocommit=True) as c:
        c.execute(f"DROP SCHEMA IF EXISTS {esquema} CASCADE")


def directa(u: str, orden: str, params=()) -> None:
    """Una edición como la haría QGIS: SQL plano, sin pasar por el almacén."""
    import psycopg

    from geo.almacen.postgis import separar_url

    conninfo, esquema = separar_url(u)
    with psycopg.connect(conninfo, autocommit=True, application_name="QGIS 3.34") as c:
        c.execute(f"SET search_path = {esquema}, public")
        c.execute(orden, params)


def cambio(operacion: str, codigo: str, geom=None, **atributos) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"operacion": [operacion], "codigo": [codigo],
                             **{k: [v] for k, v in atributos.items()}},
                            geometry=[geom], crs=CRS)


def predio(u: str, codigo: str) -> pd.Series:
    from geo.almacen import abrir

    with abrir(u) as alm:
        p = alm.capas(nombres=["predios"])["predios"]
    return p.set_index("codigo").loc[codigo]


# ---------------------------------------------------------------------------------------------


def test_copia_desde_geopackage_ida_y_vuelta(url, tmp_path):
    from geo.almacen import abrir

    gpkg = escribir(capas_minimas(), tmp_path / "origen.gpkg")
    with abrir(gpkg) as g, abrir(url) as p:
        cg, cp = g.capas(), p.capas()
        assert set(cp) == set(cg)
        for nombre in cg:
            a, b = cg[nombre], cp[nombre]
            assert sorted(a.columns) == sorted(b.columns), nombre
            cols = [c for c in a.columns if c != "geometry"]
            pd.testing.assert_frame_equal(pd.DataFrame(b[cols]), pd.DataFrame(a[cols]),
                                          check_dtype=nombre == "predios")
            # misma geometría, al bit (WKB)
            assert list(shapely.to_wkb(b.geometry.values)) == list(
                shapely.to_wkb(a.geometry.values)), nombre
        assert p.crs.to_epsg() == 32718
        assert (cp["predios"]["version"] == 1).all()


def test_aplicar_historial_y_fecha(url):
    from geo.almacen import abrir

    with abrir(url) as alm:
        r = alm.aplicar(cambio("modificacion", P2, uso=3), expediente="EXP-1", usuario="ana",
                        motivo="cambio de uso")
        assert r.modificaciones == [P2]
        hoy = alm.capas()["predios"].set_index("codigo")
        assert hoy.loc[P2, "uso"] == 3 and hoy.loc[P2, "version"] == 2
        h = alm.historial(P2)
        assert list(h[["usuario", "expediente", "version_antes", "version_despues"]].iloc[0]) \
            == ["ana", "EXP-1", 1, 2]
        antes = alm.capas(fecha="2000-01-01")["predios"].set_index("codigo")
        assert antes.loc[P2, "uso"] == 2 and antes.loc[P2, "version"] == 1

        nuevo = box(X0 + 0, Y0 + 30, X0 + 10, Y0 + 40)
        alm.aplicar(cambio("alta", "190301-01-002-001", nuevo, uso=1, area_terreno_m2=100.0,
                           area_construida_m2=0.0), expediente="EXP-2", usuario="ana",
                    validar=False)
        alm.aplicar(cambio("baja", P4), expediente="EXP-3", usuario="beto")
        hoy = alm.capas()["predios"]
        assert "190301-01-002-001" in set(hoy["codigo"]) and P4 not in set(hoy["codigo"])
        assert alm.capas(fecha="2000-01-01")["predios"]["codigo"].tolist() == [P1, P2, P3, P4]


def test_dos_escrituras_concurrentes_una_gana_la_otra_nombra_a_la_primera(url):
    """Dos personas preparan un cambio del mismo predio sobre la versión 1 y lo guardan a la
    vez: una gana; la otra recibe ErrorConflicto con el usuario y expediente de la primera y
    no escribe nada."""
    from geo.almacen import abrir
    from geo.errores import ErrorConflicto

    quienes = {"ana": ("EXP-100", 3), "beto": ("EXP-200", 5)}
    almacenes = {u: abrir(url) for u in quienes}
    planes = {u: almacenes[u].planificar(cambio("modificacion", P2, uso=uso), exp, u)[0]
              for u, (exp, uso) in quienes.items()}
    barrera = threading.Barrier(len(quienes))
    resultado: dict[str, object] = {}

    def guardar(u):
        barrera.wait()
        try:
            almacenes[u]._escribir_plan(planes[u])
            resultado[u] = "ok"
        except Exception as e:  # noqa: BLE001 - la prueba mira qué salió
            resultado[u] = e

    hilos = [threading.Thread(target=guardar, args=(u,)) for u in quienes]
    for h in hilos:
        h.start()
    for h in hilos:
        h.join(30)
    for a in almacenes.values():
        a.cerrar()

    ganadores = [u for u, r in resultado.items() if r == "ok"]
    assert len(ganadores) == 1, resultado
    ganador = ganadores[0]
    perdedor = next(u for u in quienes if u != ganador)
    err = resultado[perdedor]
    assert isinstance(err, ErrorConflicto), err
    assert err.codigo == "CONFLICTO_VERSION"
    assert ganador in err.mensaje and quienes[ganador][0] in err.mensaje
    assert "versión 2" in err.mensaje and "versión 1" in err.mensaje
    # nada se perdió en silencio: queda el valor del ganador y un solo registro
    p = predio(url, P2)
    assert p["uso"] == quienes[ganador][1] and p["version"] == 2
    with abrir(url) as alm:
        h = alm.historial(P2)
    assert h["usuario"].tolist() == [ganador]


def test_muchos_a_la_vez_por_aplicar_con_version_dada(url):
    """Ocho hilos aplican (orden pública) un cambio hecho sobre la versión 1: gana uno."""
    from geo.almacen import abrir
    from geo.errores import ErrorConflicto

    n = 8
    barrera = threading.Barrier(n)
    resultado = {}

    def aplicar(i):
        with abrir(url) as alm:
            barrera.wait()
            try:
                alm.aplicar(cambio("modificacion", P1, uso=i + 1, version=1),
                            expediente=f"EXP-{i}", usuario=f"u{i}")
                resultado[i] = "ok"
            except ErrorConflicto as e:
                resultado[i] = e

    hilos = [threading.Thread(target=aplicar, args=(i,)) for i in range(n)]
    for h in hilos:
        h.start()
    for h in hilos:
        h.join(60)
    ganadores = [i for i, r in resultado.items() if r == "ok"]
    assert len(resultado) == n and len(ganadores) == 1, resultado
    g = ganadores[0]
    for i, r in resultado.items():
        if i != g:
            assert f"u{g}" in r.mensaje and f"EXP-{g}" in r.mensaje
    p = predio(url, P1)
    assert p["uso"] == g + 1 and p["version"] == 2


def test_altas_concurrentes_del_mismo_codigo(url):
    from geo.almacen import abrir
    from geo.errores import ErrorConflicto

    nuevo = box(X0 + 0, Y0 + 30, X0 + 10, Y0 + 40)
    almacenes = [abrir(url), abrir(url)]
    planes = [a.planificar(cambio("alta", "190301-01-009-001", nuevo, uso=1,
                                  area_terreno_m2=100.0, area_construida_m2=0.0),
                           f"EXP-{i}", f"u{i}", validar=False)[0]
              for i, a in enumerate(almacenes)]
    almacenes[0]._escribir_plan(planes[0])
    with pytest.raises(ErrorConflicto, match=r"ya existe.*u0 \(expediente EXP-0\)"):
        almacenes[1]._escribir_plan(planes[1])
    for a in almacenes:
        a.cerrar()


def test_edicion_directa_qgis_sube_version_y_se_detecta(url):
    """QGIS edita la tabla directamente: el disparador sube la versión y lo anota; un cambio
    preparado antes choca y dice que fue una edición directa y de qué usuario de la base."""
    from geo.almacen import abrir
    from geo.almacen.postgis import EXPEDIENTE_DIRECTO
    from geo.errores import ErrorConflicto

    with abrir(url) as alm:
        plan, _ = alm.planificar(cambio("modificacion", P3, uso=2), "EXP-9", "carla")
        directa(url, "UPDATE predios SET direccion = 'Jr. Grau 999' WHERE codigo = %s", [P3])
        assert predio(url, P3)["version"] == 2
        h = alm.historial(P3)
        assert h["expediente"].tolist() == [EXPEDIENTE_DIRECTO]
        assert "QGIS 3.34" in h["motivo"].iloc[0]
        with pytest.raises(ErrorConflicto, match="edición directa") as e:
            alm._escribir_plan(plan)
        assert h["usuario"].iloc[0] in e.value.mensaje
        # la versión dada en CAMBIOS también choca
        with pytest.raises(ErrorConflicto, match="versión 2.*versión 1"):
            alm.aplicar(cambio("modificacion", P3, uso=2, version=1), "EXP-9", "carla")
        assert predio(url, P3)["uso"] == 1
        # y sobre la versión nueva pasa; la edición directa queda en la historia a su fecha
        alm.aplicar(cambio("modificacion", P3, uso=2, version=2), "EXP-9", "carla")
        p = predio(url, P3)
        assert (p["uso"], p["direccion"], p["version"]) == (2, "Jr. Grau 999", 3)
        assert alm.capas(fecha="2000-01-01")["predios"].set_index("codigo").loc[
            P3, "direccion"] == "Jr. Grau 121"


def test_baja_directa_en_qgis_y_modificacion_posterior(url):
    from geo.almacen import abrir
    from geo.errores import ErrorConflicto

    with abrir(url) as alm:
        plan, _ = alm.planificar(cambio("modificacion", P4, uso=2), "EXP-5", "dora")
        directa(url, "DELETE FROM predios WHERE codigo = %s", [P4])
        with pytest.raises(ErrorConflicto, match=f"{P4} ya no existe"):
            alm._escribir_plan(plan)
        # la baja directa se puede deshacer al reconstruir
        assert P4 in set(alm.capas(fecha="2000-01-01")["predios"]["codigo"])


def test_frontis_confirmado(url):
    from geo.almacen import abrir

    with abrir(url) as alm:
        n = alm.confirmar_frontis([{"codigo": P1, "metros": 10.25, "observacion": "visita"}],
                                  usuario="ana")
        assert n == 1
        f = alm.frontis_confirmados()
        assert f.loc[0, "codigo"] == P1 and f.loc[0, "frontis_confirmado_m"] == 10.25
        assert f.loc[0, "version_predio"] == 1
        assert len(alm.frontis_confirmados(fecha="2000-01-01")) == 0


def test_tabla_cargada_por_otro_medio(url_pg):
    """Una tabla de predios cargada con QGIS/ogr2ogr (otra clave, otra columna de geometría,
    sin ``version``): el almacén la lee y la prepara en la primera escritura."""
    import psycopg

    from geo.almacen import abrir
    from geo.almacen.postgis import separar_url

    esquema = "prueba_" + uuid.uuid4().hex[:10]
    conninfo, _ = separar_url(url_pg)
    u = url_pg + ("&" if "?" in url_pg else "?") + f"esquema={esquema}"
    with psycopg.connect(conninfo, autocommit=True) as c:
        c.execute(f"CREATE SCHEMA {esquema}")
        c.execute(f"CREATE TABLE {esquema}.predios (ogc_fid serial PRIMARY KEY, codigo varchar, "
                  "uso integer, area_terreno_m2 numeric, area_construida_m2 double precision, "
                  "wkb_geometry geometry(Polygon, 32718))")
        c.execute(f"INSERT INTO {esquema}.predios (codigo, uso, area_terreno_m2, "
                  "area_construida_m2, wkb_geometry) VALUES (%s, 1, 200, 10, "
                  "ST_GeomFromText(%s, 32718))", [P1, box(X0, Y0, X0 + 10, Y0 + 20).wkt])
    try:
        with abrir(u) as alm:
            p = alm.capas()["predios"]
            assert p["codigo"].tolist() == [P1] and p["version"].tolist() == [1]
            alm.aplicar(cambio("modificacion", P1, uso=2), "EXP-1", "ana")
            p = alm.capas()["predios"]
            assert (p["uso"].iloc[0], p["version"].iloc[0]) == (2, 2)
            assert alm.historial(P1)["usuario"].tolist() == ["ana"]
    finally:
        with psycopg.connect(conninfo, autocommit=True) as c:
            c.execute(f"DROP SCHEMA {esquema} CASCADE")


def test_url_sin_servidor_da_error_claro():
    from geo.almacen import abrir
    from geo.errores import ErrorLectura

    pytest.importorskip("psycopg")
    with pytest.raises(ErrorLectura, match="No se pudo conectar") as e:
        abrir("postgresql://nadie:secreta@127.0.0.1:1/nada")
    assert "secreta" not in e.value.mensaje


def test_copia_lleva_historial_y_versiones(url_pg, tmp_path):
    """Un GeoPackage con historia se copia con sus versiones y su historial: la
    reconstrucción a una fecha da lo mismo en ambos motores."""
    import psycopg

    from geo.almacen import abrir
    from geo.almacen.postgis import copiar_a_postgis, separar_url

    gpkg = escribir(capas_minimas(), tmp_path / "con_historia.gpkg")
    with abrir(gpkg) as g:
        g.aplicar(cambio("modificacion", P2, uso=3), "EXP-1", "ana")
        g.aplicar(cambio("baja", P4), "EXP-2", "beto")
        g.confirmar_frontis([{"codigo": P1, "metros": 9.5, "observacion": "visita"}], "ana")
    esquema = "prueba_" + uuid.uuid4().hex[:10]
    u = url_pg + ("&" if "?" in url_pg else "?") + f"esquema={esquema}"
    try:
        cuentas = copiar_a_postgis(gpkg, u)
        assert cuentas["historial"] == 2 and cuentas["frontis_confirmado"] == 1
        with abrir(gpkg) as g, abrir(u) as p:
            for fecha in (None, "2000-01-01"):
                a = g.capas(fecha=fecha)["predios"]
                b = p.capas(fecha=fecha)["predios"]
                cols = [c for c in a.columns if c != "geometry"]
                pd.testing.assert_frame_equal(pd.DataFrame(b[cols]), pd.DataFrame(a[cols]))
            assert p.historial(P2)["expediente"].tolist() == ["EXP-1"]
            assert p.frontis_confirmados()["frontis_confirmado_m"].tolist() == [9.5]
            # y se sigue editando sobre la versión copiada
            p.aplicar(cambio("modificacion", P2, uso=1, version=2), "EXP-3", "carla")
            assert p.historial(P2)["version_despues"].tolist() == [2, 3]
    finally:
        with psycopg.connect(separar_url(u)[0], autocommit=True) as c:
            c.execute(f"DROP SCHEMA IF EXISTS {esquema} CASCADE")
