"""Almacén con historial (GeoPackage): actualizaciones atómicas, conflictos, historial,
reconstrucción exacta a una fecha, resistencia a SIGKILL y frontis confirmados."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import sqlite3
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
from shapely.geometry import box

from geo.almacen import ErrorCambios, abrir
from geo.almacen.base import corte, reconstruir
from geo.almacen.gpkg import a_blob, de_blob
from geo.errores import ErrorConflicto
from tests.conftest import CRS, X0, Y0, capas_minimas, escribir

T0 = datetime(2025, 3, 1, 15, 0, tzinfo=UTC)  # 10:00 hora del Perú


def _lote(i: int, j: int):
    return box(X0 + 10 * i, Y0 + 20 * j, X0 + 10 * i + 10, Y0 + 20 * j + 20)


def _capas_cuadricula(columnas: int = 8, filas: int = 2) -> dict:
    capas = capas_minimas()
    cod = [f"L-{j}-{i}" for j in range(filas) for i in range(columnas)]
    capas["predios"] = gpd.GeoDataFrame(
        {"codigo": cod, "uso": 1, "area_terreno_m2": 200.0, "area_construida_m2": 100.0,
         "direccion": [f"Jr. Grau {k}" for k in range(len(cod))]},
        geometry=[_lote(i, j) for j in range(filas) for i in range(columnas)], crs=CRS)
    return capas


@pytest.fixture
def cuadricula(tmp_path) -> Path:
    return escribir(_capas_cuadricula(), tmp_path / "cuadricula.gpkg")


def _cambios(filas: list[dict]) -> gpd.GeoDataFrame:
    geoms = [f.pop("geometry", None) for f in filas]
    return gpd.GeoDataFrame(pd.DataFrame(filas), geometry=geoms, crs=CRS)


def _rtree_coherente(ruta: Path) -> None:
    with sqlite3.connect(ruta) as con:
        assert con.execute("pragma integrity_check").fetchone()[0] == "ok"
        fids = dict(con.execute("select fid, geom from predios"))
        rtree = {r[0]: r[1:] for r in con.execute(
            "select id, minx, maxx, miny, maxy from rtree_predios_geom")}
        conteo = con.execute(
            "select feature_count from gpkg_ogr_contents where table_name='predios'").fetchone()
    assert set(fids) == set(rtree)
    assert conteo[0] == len(fids)
    for fid, blob in fids.items():
        x0, y0, x1, y1 = de_blob(blob).bounds
        a, b, c, d = rtree[fid]  # el R-tree guarda float32 redondeado hacia afuera
        assert a <= x0 and b >= x1 and c <= y0 and d >= y1
        assert max(x0 - a, b - x1, y0 - c, d - y1) < 1.0  # float32 a 8.8e6: paso de 0.5 m


# ---------------------------------------------------------------------------------------------
# Blobs GeoPackage


def test_blob_geopackage_ida_y_vuelta():
    g = shapely.Polygon([(0.1, 0.2), (10.3, 0.2), (10.3, 5.123456789), (0.1, 0.2)])
    blob = a_blob(g, 32718)
    assert blob[:2] == b"GP" and blob[2] == 0 and blob[3] == 0x03
    assert int.from_bytes(blob[4:8], "little") == 32718
    assert shapely.to_wkb(de_blob(blob)) == shapely.to_wkb(g)
    assert a_blob(None, 32718) is None


# ---------------------------------------------------------------------------------------------
# Actualizaciones


def test_modificacion_registra_historial_y_version(cuadricula):
    alm = abrir(cuadricula)
    r = alm.aplicar(_cambios([{"operacion": "modificacion", "codigo": "L-0-1",
                               "area_construida_m2": 150.25, "uso": 2}]),
                    "EXP-1", "ana", "HAD 2025", instante=T0)
    assert r.modificaciones == ["L-0-1"] and not r.altas and not r.bajas
    p = alm.capas()["predios"].set_index("codigo")
    assert p.loc["L-0-1", "area_construida_m2"] == 150.25
    assert p.loc["L-0-1", "uso"] == 2 and p.loc["L-0-1", "version"] == 2
    assert p.loc["L-0-2", "version"] == 1
    h = alm.historial("L-0-1")
    assert list(h["accion"]) == ["modificacion"]
    assert h.iloc[0]["usuario"] == "ana" and h.iloc[0]["expediente"] == "EXP-1"
    assert h.iloc[0]["motivo"] == "HAD 2025"
    _rtree_coherente(cuadricula)


def test_el_archivo_sigue_abriendo_en_gdal_y_pasa_validar(cuadricula, validar_json):
    alm = abrir(cuadricula)
    a, b = _lote(0, 0), _lote(1, 0)
    alm.aplicar(_cambios([
        {"operacion": "subdivision", "codigo": "L-0-0-A", "origen": "L-0-0",
         "area_terreno_m2": 100.0, "area_construida_m2": 0.0,
         "geometry": box(a.bounds[0], a.bounds[1], a.bounds[0] + 5, a.bounds[3])},
        {"operacion": "subdivision", "codigo": "L-0-0-B", "origen": "L-0-0",
         "area_terreno_m2": 100.0, "area_construida_m2": 0.0,
         "geometry": box(a.bounds[0] + 5, a.bounds[1], a.bounds[2], a.bounds[3])},
        {"operacion": "acumulacion", "codigo": "L-AC", "origen": "L-0-2;L-0-3",
         "area_terreno_m2": 400.0, "area_construida_m2": 50.0},
        {"operacion": "baja", "codigo": "L-1-7"},
        {"operacion": "alta", "codigo": "L-NUEVO", "uso": 7, "area_terreno_m2": 10.0,
         "area_construida_m2": 0.0, "geometry": box(X0 + 90, Y0, X0 + 95, Y0 + 2)},
    ]), "EXP-2", "luis", instante=T0)
    gdf = pyogrio.read_dataframe(cuadricula, layer="predios")
    assert len(gdf) == 16 - 1 + 2 - 2 + 1 - 1 + 1
    assert set(gdf["codigo"]) >= {"L-0-0-A", "L-0-0-B", "L-AC", "L-NUEVO"}
    assert "L-0-0" not in set(gdf["codigo"])
    ac = gdf.set_index("codigo").geometry["L-AC"]
    assert ac.area == pytest.approx(b.area * 2) and ac.geom_type == "Polygon"
    rc, codigos, _ = validar_json(cuadricula)
    assert rc == 0, codigos
    _rtree_coherente(cuadricula)
    # y GDAL encuentra lo nuevo por el índice espacial
    sel = pyogrio.read_dataframe(cuadricula, layer="predios", bbox=(X0 + 89, Y0, X0 + 96, Y0 + 1))
    assert list(sel["codigo"]) == ["L-NUEVO"]


def test_cambios_invalidos_no_escriben_nada_y_dicen_que_corregir(cuadricula):
    antes = cuadricula.read_bytes()
    alm = abrir(cuadricula)
    with pytest.raises(ErrorCambios) as e:
        alm.aplicar(_cambios([
            {"operacion": "modificacion", "codigo": "L-0-1", "area_construida_m2": 1.0,
             "geometry": _lote(1, 0).buffer(3)},                      # se solapa con vecinos
            {"operacion": "alta", "codigo": "L-0-2", "geometry": _lote(20, 0)},  # ya existe
            {"operacion": "baja", "codigo": "NO-EXISTE"},
            {"operacion": "mudanza", "codigo": "L-0-5"},
            {"operacion": "alta", "codigo": "X-1", "uso": 99, "area_terreno_m2": 1.0,
             "area_construida_m2": 0.0, "geometry": box(X0 + 90, Y0, X0 + 92, Y0 + 2)},
        ]), "EXP-3", "ana")
    codigos = {p.codigo for p in e.value.problemas}
    assert {"PREDIOS_SOLAPADOS", "CODIGO_EXISTENTE", "CODIGO_INEXISTENTE",
            "OPERACION_DESCONOCIDA", "USO_DESCONOCIDO"} <= codigos
    assert "L-0-1" in e.value.mensaje and "NO-EXISTE" in e.value.mensaje
    assert cuadricula.read_bytes() == antes


def test_predio_fuera_del_distrito_se_rechaza(cuadricula):
    with pytest.raises(ErrorCambios, match="PREDIO_FUERA_DISTRITO"):
        abrir(cuadricula).aplicar(_cambios([
            {"operacion": "alta", "codigo": "LEJOS", "uso": 1, "area_terreno_m2": 1.0,
             "area_construida_m2": 0.0, "geometry": box(X0 + 500, Y0, X0 + 510, Y0 + 10)}]),
            "E", "u")


def test_problemas_previos_de_vecinos_no_bloquean(tmp_path):
    capas = _capas_cuadricula()
    p = capas["predios"]
    p.loc[0, "geometry"] = _lote(0, 0).buffer(2)  # ya solapa a L-0-1 antes del cambio
    ruta = escribir(capas, tmp_path / "sucio.gpkg")
    # tocar L-0-5 (lejos) pasa; tocar L-0-1 sin arreglar el solape no
    abrir(ruta).aplicar(_cambios([{"operacion": "modificacion", "codigo": "L-0-5", "uso": 2}]),
                        "E", "u")
    with pytest.raises(ErrorCambios, match="PREDIOS_SOLAPADOS"):
        abrir(ruta).aplicar(_cambios([{"operacion": "modificacion", "codigo": "L-0-1",
                                       "uso": 2}]), "E", "u")


def test_conflicto_de_version_dice_quien_lo_cambio(cuadricula):
    alm = abrir(cuadricula)
    alm.aplicar(_cambios([{"operacion": "modificacion", "codigo": "L-0-4", "uso": 2}]),
                "EXP-77", "rosa", instante=T0)
    antes = cuadricula.read_bytes()
    with pytest.raises(ErrorConflicto, match=r"versión 2.*versión 1.*rosa.*EXP-77"):
        alm.aplicar(_cambios([{"operacion": "modificacion", "codigo": "L-0-4", "uso": 3,
                               "version": 1}]), "EXP-78", "juan")
    assert cuadricula.read_bytes() == antes
    # con la versión correcta, pasa
    alm.aplicar(_cambios([{"operacion": "modificacion", "codigo": "L-0-4", "uso": 3,
                           "version": 2}]), "EXP-78", "juan")


def test_conflicto_detectado_dentro_de_la_transaccion(cuadricula):
    """Otro proceso escribe entre la lectura (plan) y la escritura: nada se aplica."""
    a1, a2 = abrir(cuadricula), abrir(cuadricula)
    plan, _ = a1.planificar(_cambios([{"operacion": "modificacion", "codigo": "L-1-1",
                                       "uso": 4}]), "E1", "ana")
    a2.aplicar(_cambios([{"operacion": "modificacion", "codigo": "L-1-1", "uso": 5}]),
               "E2", "beto")
    with pytest.raises(ErrorConflicto, match="beto"):
        a1._escribir_plan(plan)
    p = a1.capas()["predios"].set_index("codigo")
    assert p.loc["L-1-1", "uso"] == 5 and p.loc["L-1-1", "version"] == 2
    assert len(a1.historial("L-1-1")) == 1


def test_historial_incluye_ancestros(cuadricula):
    alm = abrir(cuadricula)
    alm.aplicar(_cambios([{"operacion": "acumulacion", "codigo": "M-1",
                           "origen": "L-0-0;L-0-1", "area_terreno_m2": 400.0,
                           "area_construida_m2": 0.0}]), "EXP-A", "ana", instante=T0)
    alm.aplicar(_cambios([
        {"operacion": "subdivision", "codigo": c, "origen": "M-1", "area_terreno_m2": 200.0,
         "area_construida_m2": 0.0, "geometry": g}
        for c, g in (("S-1", _lote(0, 0)), ("S-2", _lote(1, 0)))]),
        "EXP-B", "luis", instante=T0 + timedelta(days=1))
    h = alm.historial("S-2")
    assert set(h["codigo"]) == {"S-2", "M-1", "L-0-0", "L-0-1"}
    assert dict(zip(h["codigo"], h["linaje"]))["L-0-0"] == 2
    assert list(h["id"]) == sorted(h["id"])


def test_cli_actualizar_historial_y_errores(cuadricula, correr, tmp_path):
    csv = tmp_path / "cambios.csv"
    csv.write_text("operacion,codigo,area_construida_m2,borrar,wkt\n"
                   "modificacion,L-1-3,88.5,direccion,\n", encoding="utf-8")
    rc, out, err = correr("actualizar", cuadricula, "--cambios", csv, "--crs", CRS,
                          "--expediente", "EXP-9", "--usuario", "ana", "--motivo", "HAD")
    assert rc == 0, err
    assert "1 modificaciones" in out
    rc, out, err = correr("historial", "L-1-3", "--capas", cuadricula)
    assert rc == 0 and "MODIFICACIÓN" in out and "EXP-9" in out
    assert "area_construida_m2: 100.00 → 88.50" in out and "direccion: Jr. Grau 11 → (vacío)" in out
    rc, out, err = correr("historial", "NADA", "--capas", cuadricula)
    assert rc == 1 and "CODIGO_INEXISTENTE" in err
    csv.write_text("operacion,codigo,wkt\nbaja,NADA,\n", encoding="utf-8")
    rc, out, err = correr("actualizar", cuadricula, "--cambios", csv, "--crs", CRS,
                          "--expediente", "EXP-9", "--usuario", "ana")
    assert rc == 1 and "CODIGO_INEXISTENTE" in err and "Traceback" not in out + err
    rc, out, err = correr("actualizar", cuadricula, "--cambios", tmp_path / "no.csv",
                          "--expediente", "E", "--usuario", "u")
    assert rc == 2


# ---------------------------------------------------------------------------------------------
# Reconstrucción a una fecha


def _paso_aleatorio(rng: random.Random, p, libres: list, n: int) -> list[dict] | None:
    if len(p) < 3:
        return None
    codigos = list(p["codigo"])
    geoms = dict(zip(p["codigo"], p.geometry))
    tipo = rng.choice(["attr", "attr", "geom", "sub", "acu", "baja", "alta"])
    c = rng.choice(codigos)
    if tipo == "attr":
        fila = {"operacion": "modificacion", "codigo": c,
                "area_construida_m2": rng.random() * 1000, "uso": rng.randint(1, 10),
                "habitantes": rng.choice([None, rng.randint(0, 9)])}
        if rng.random() < 0.3:
            fila["borrar"] = "direccion"
        return [fila]
    if tipo == "geom":
        g = shapely.affinity.scale(geoms[c], 0.5 + rng.random() * 0.5, 1.0)
        return [{"operacion": "modificacion", "codigo": c, "geometry": g,
                 "version": int(p.set_index("codigo").loc[c, "version"])}]
    if tipo == "sub":
        g = geoms[c]
        x0, y0, x1, y1 = g.bounds
        xm = x0 + (x1 - x0) * (0.3 + rng.random() * 0.4)
        partes = [g.intersection(box(x0 - 1, y0 - 1, xm, y1 + 1)),
                  g.intersection(box(xm, y0 - 1, x1 + 1, y1 + 1))]
        if any(q.is_empty or q.area < 1 or q.geom_type != "Polygon" for q in partes):
            return None
        hijos = [f"{c}.{n}a", c] if rng.random() < 0.3 else [f"{c}.{n}a", f"{c}.{n}b"]
        return [{"operacion": "subdivision", "codigo": h, "origen": c,
                 "area_terreno_m2": q.area, "area_construida_m2": 0.0, "geometry": q}
                for h, q in zip(hijos, partes)]
    if tipo == "acu":
        pares = [(a, b) for a in codigos for b in codigos if a < b
                 and geoms[a].intersection(geoms[b]).length > 1]
        if not pares:
            return None
        a, b = rng.choice(pares)
        nuevo = rng.choice([a, f"A{n}"])
        return [{"operacion": "acumulacion", "codigo": nuevo, "origen": f"{a};{b}",
                 "area_terreno_m2": 1.0 + rng.random(), "area_construida_m2": 0.0}]
    if tipo == "baja":
        libres.append(geoms[c])
        return [{"operacion": "baja", "codigo": c}]
    if not libres:
        return None
    return [{"operacion": "alta", "codigo": f"N{n}", "uso": 7, "area_terreno_m2": 5.5,
             "area_construida_m2": 0.0, "geometry": libres.pop()}]


def _predios(alm, fecha=None) -> gpd.GeoDataFrame:
    return alm.capas(fecha, nombres=["predios"])["predios"]


def _igual(a: gpd.GeoDataFrame, b: gpd.GeoDataFrame) -> None:
    a, b = (x.assign(codigo=x["codigo"].astype(object)).sort_values("codigo")
            .reset_index(drop=True) for x in (a, b))
    pd.testing.assert_frame_equal(a.drop(columns="geometry"), b.drop(columns="geometry"),
                                  check_exact=True)
    assert [g.wkb for g in a.geometry] == [g.wkb for g in b.geometry]


@pytest.mark.parametrize("semilla", [1, pytest.param(2, marks=pytest.mark.lento)])
def test_reconstruccion_exacta_en_cada_instantanea(tmp_path, semilla):
    ruta = escribir(_capas_cuadricula(), tmp_path / "r.gpkg")
    alm = abrir(ruta)
    rng = random.Random(semilla)
    fotos = [(T0 - timedelta(hours=1), _predios(alm))]
    libres: list = []
    rechazos = 0
    n = intentos = 0
    momento = T0
    while n < 15 and intentos < 40:
        intentos += 1
        filas = _paso_aleatorio(rng, fotos[-1][1], libres, n)
        if filas is None:
            continue
        momento += timedelta(minutes=rng.randint(1, 600))
        try:
            alm.aplicar(_cambios(filas), f"EXP-{n}", rng.choice(["ana", "luis"]),
                        instante=momento)
        except ErrorCambios:
            rechazos += 1  # el azar propuso algo inválido: no escribe nada (también se prueba)
            continue
        n += 1
        fotos.append((momento, _predios(alm)))
    assert n >= 10, (n, rechazos)
    for momento, foto in fotos:
        _igual(_predios(alm, momento), foto)
    # una fecha: fin del día en hora del Perú
    dia = (fotos[5][0].astimezone(timezone(timedelta(hours=-5)))).date()
    fin = datetime.combine(dia + timedelta(days=1), datetime.min.time(),
                           tzinfo=timezone(timedelta(hours=-5))) - timedelta(microseconds=1)
    ultima = [f for m, f in fotos if m <= fin][-1]
    _igual(_predios(alm, dia.isoformat()), ultima)
    _rtree_coherente(ruta)


def test_corte_es_fin_del_dia_en_hora_del_peru():
    assert corte("2025-03-31") == "2025-04-01T05:00:00.000000Z"
    with pytest.raises(Exception, match="AAAA-MM-DD"):
        corte("31/03/2025")


def test_reconstruir_sin_registros_devuelve_lo_actual():
    p = gpd.GeoDataFrame({"codigo": ["a"], "version": [1]}, geometry=[box(0, 0, 1, 1)])
    vacio = pd.DataFrame(columns=["id", "instante"])
    assert reconstruir(p, vacio, "2025", {}) is p


def test_derivar_con_fecha_usa_el_catastro_de_entonces(cuadricula):
    from geo.flujo import cargar_capas

    alm = abrir(cuadricula)
    alm.aplicar(_cambios([{"operacion": "baja", "codigo": "L-1-0"}]), "E", "u",
                instante=datetime(2025, 6, 10, 12, tzinfo=UTC))
    hoy = cargar_capas(cuadricula)["predios"]
    antes = cargar_capas(cuadricula, fecha="2025-06-09")["predios"]
    assert "L-1-0" in set(antes["codigo"]) and "L-1-0" not in set(hoy["codigo"])
    assert len(antes) == len(hoy) + 1


# ---------------------------------------------------------------------------------------------
# SIGKILL a mitad de una actualización


def _hijo_actualiza(ruta: str, filas: list, matar_en: int | None, pausa: float) -> None:
    """Proceso hijo: aplica los cambios; se mata a sí mismo en la escritura ``matar_en``
    (dentro de la transacción) o espera a que el padre lo mate."""
    import geo.almacen.gpkg as motor

    original = motor.a_blob
    cuenta = {"n": 0}

    def lento(geom, srs):
        cuenta["n"] += 1
        if matar_en is not None and cuenta["n"] == matar_en:
            os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(pausa)
        return original(geom, srs)

    motor.a_blob = lento
    abrir(ruta).aplicar(_cambios([dict(f) for f in filas]), "EXP-K", "kill")
    os._exit(0)


@pytest.mark.lento
def test_sigkill_a_mitad_deja_todo_o_nada(tmp_path):
    ruta = escribir(_capas_cuadricula(), tmp_path / "k.gpkg")
    alm = abrir(ruta)
    original = _predios(alm)
    ctx = multiprocessing.get_context("fork")
    rng = random.Random(466)
    resultados = {"todo": 0, "nada": 0}
    for intento in range(24):
        p = _predios(alm)
        # un cambio grande: 10 modificaciones + una subdivisión (13 escrituras)
        objetivo = rng.sample([c for c in p["codigo"] if "." not in c], 11)
        filas = [{"operacion": "modificacion", "codigo": c,
                  "area_construida_m2": float(intento) + rng.random()} for c in objetivo[:10]]
        g = p.set_index("codigo").geometry[objetivo[10]]
        x0, y0, x1, y1 = g.bounds
        xm = (x0 + x1) / 2
        filas += [{"operacion": "subdivision", "codigo": f"{objetivo[10]}.{intento}{s}",
                   "origen": objetivo[10], "area_terreno_m2": 1.0, "area_construida_m2": 0.0,
                   "geometry": g.intersection(q)}
                  for s, q in (("a", box(x0, y0, xm, y1)), ("b", box(xm, y0, x1, y1)))]
        n_hist = len(alm._registros_historial())
        if intento % 2 == 0:   # dentro de la transacción, en una escritura al azar
            proc = ctx.Process(target=_hijo_actualiza, args=(str(ruta), filas,
                                                             rng.randint(1, 12), 0.0))
            proc.start()
        else:                  # desde afuera, en un momento al azar
            proc = ctx.Process(target=_hijo_actualiza, args=(str(ruta), filas, None, 0.01))
            proc.start()
            time.sleep(rng.uniform(0.0, 0.35))
            os.kill(proc.pid, signal.SIGKILL)
        proc.join(10)
        assert proc.exitcode is not None
        # se reabre: íntegro, índice coherente, y el cambio está entero o no está
        alm = abrir(ruta)
        _rtree_coherente(ruta)
        ahora = _predios(alm).set_index("codigo")
        hist = alm._registros_historial()
        nuevos = len(hist) - n_hist
        if nuevos == 0:
            resultados["nada"] += 1
            _igual(ahora.reset_index(), p)
        else:
            resultados["todo"] += 1
            assert nuevos == 13
            for f in filas[:10]:
                assert ahora.loc[f["codigo"], "area_construida_m2"] == f["area_construida_m2"]
            assert objetivo[10] not in ahora.index
        assert len(pyogrio.read_dataframe(ruta, layer="predios")) == len(ahora)
    assert resultados["nada"] >= 10, resultados  # los que se mataron dentro de la transacción
    # al final, el historial sigue reproduciendo el original
    _igual(_predios(alm, T0 - timedelta(days=3650)), original)


# ---------------------------------------------------------------------------------------------
# Frontis confirmados


def test_confirmar_frontis_guarda_quien_cuando_y_por_que(cuadricula):
    alm = abrir(cuadricula)
    n = alm.confirmar_frontis([{"codigo": "L-0-1", "metros": 9.5, "observacion": "visita"}],
                              "inspector", instante=T0)
    assert n == 1
    alm.confirmar_frontis([{"codigo": "L-0-1", "metros": 10.25, "observacion": "remedición"}],
                          "jefa", instante=T0 + timedelta(days=2))
    hoy = alm.frontis_confirmados().set_index("codigo")
    assert hoy.loc["L-0-1", "frontis_confirmado_m"] == 10.25
    assert hoy.loc["L-0-1", "confirmado_por"] == "jefa"
    antes = alm.frontis_confirmados(fecha=T0 + timedelta(days=1)).set_index("codigo")
    assert antes.loc["L-0-1", "frontis_confirmado_m"] == 9.5
    with pytest.raises(ErrorCambios, match="CODIGO_INEXISTENTE"):
        alm.confirmar_frontis([{"codigo": "NO", "metros": 1, "observacion": "x"}], "u")
    with pytest.raises(ErrorCambios, match="observación"):
        alm.confirmar_frontis([{"codigo": "L-0-2", "metros": 1, "observacion": ""}], "u")


def test_aplicar_y_repartir_frontis_confirmado():
    from geo.almacen import (
        aplicar_frontis_confirmado,
        repartir_frontis_confirmado,
        resumen_fuentes_frontis,
    )

    predios = pd.DataFrame({"codigo": ["a", "b", "c"], "frontis_m": [10.0, 0.0, 5.0],
                            "sector_barrido": ["1", "2", "1"]})
    conf = pd.DataFrame({"codigo": ["a", "b"], "frontis_confirmado_m": [12.0, 4.0],
                         "confirmado_por": ["ana", "ana"], "confirmado_el": ["t", "t"],
                         "observacion_frontis": ["x", "y"]})
    p = aplicar_frontis_confirmado(predios, conf)
    assert list(p["frontis_m"]) == [12.0, 4.0, 5.0]
    assert list(p["frontis_derivado_m"]) == [10.0, 0.0, 5.0]
    assert list(p["frontis_fuente"]) == ["confirmado", "confirmado", "derivado"]
    assert p["diferencia_confirmado_m"].tolist()[:2] == [2.0, 4.0]
    assert predios["frontis_m"].tolist() == [10.0, 0.0, 5.0]  # no muta la entrada
    frentes = gpd.GeoDataFrame({"codigo": ["a", "a", "c"], "sector_barrido": ["1", "2", "1"],
                                "longitud_m": [6.0, 4.0, 5.0]},
                               geometry=[shapely.LineString([(0, 0), (6, 0)]),
                                         shapely.LineString([(6, 0), (10, 0)]),
                                         shapely.LineString([(0, 1), (5, 1)])])
    f = repartir_frontis_confirmado(frentes, p)
    # a: 12 m repartidos 6:4 → 7.2 y 4.8 (cada trozo en su sector); b: un trozo de 4 m en su
    # sector; c: intacto
    assert f.loc[f["codigo"] == "a", "longitud_m"].tolist() == pytest.approx([7.2, 4.8])
    assert f.loc[f["codigo"] == "a", "sector_barrido"].tolist() == ["1", "2"]
    b = f[f["codigo"] == "b"]
    assert b["longitud_m"].tolist() == [4.0] and b["sector_barrido"].tolist() == ["2"]
    assert f.loc[f["codigo"] == "c", "longitud_m"].tolist() == [5.0]
    assert f.groupby("codigo")["longitud_m"].sum().to_dict() == pytest.approx(
        dict(zip(p["codigo"], p["frontis_m"])))
    r = resumen_fuentes_frontis(p)
    assert r["predios_confirmado"] == 2 and r["predios_derivado"] == 1


def test_frentes_con_frontis_confirmado_se_entregan_apenas_se_miden(cuadricula):
    # derivar entrega los frentes (para empezar a escribirlos en otro proceso) ya con el
    # frontis confirmado repartido: los mismos que devuelve al final
    from geo.flujo import derivar_almacen

    with abrir(cuadricula) as alm:  # L-0-1 tiene un trozo derivado de 10 m
        alm.confirmar_frontis([{"codigo": "L-0-1", "metros": 9.5, "observacion": "visita"}],
                              "inspector", instante=T0)
    recibidos = []
    _, der, _ = derivar_almacen(cuadricula, al_tener_frentes=recibidos.append)
    assert len(recibidos) == 1 and recibidos[0] is der.frentes
    l01 = der.frentes[der.frentes["codigo"] == "L-0-1"]
    assert l01["longitud_m"].tolist() == [9.5] and l01["longitud_derivada_m"].tolist() == [10.0]
    assert l01["frontis_fuente"].tolist() == ["confirmado"]
    _, sin_aviso, _ = derivar_almacen(cuadricula)
    pd.testing.assert_frame_equal(pd.DataFrame(der.frentes), pd.DataFrame(sin_aviso.frentes))

    # L-1-1 no tiene trozos: el suyo (sin geometría) lleva el sector de barrido del predio
    # derivado, que se conoce al final; llega después, como última fila
    with abrir(cuadricula) as alm:
        alm.confirmar_frontis([{"codigo": "L-1-1", "metros": 4.0, "observacion": "visita"}],
                              "inspector", instante=T0)
    recibidos.clear()
    _, der, _ = derivar_almacen(cuadricula, al_tener_frentes=recibidos.append)
    assert len(recibidos) == 1 and len(der.frentes) == len(recibidos[0]) + 1
    pd.testing.assert_frame_equal(pd.DataFrame(der.frentes.iloc[:-1]),
                                  pd.DataFrame(recibidos[0]), check_dtype=False)  # + None
    ultima = der.frentes.iloc[-1]
    assert ultima["codigo"] == "L-1-1" and ultima["longitud_m"] == 4.0
    assert ultima["geometry"] is None and ultima["longitud_derivada_m"] == 0.0
    _, sin_aviso, _ = derivar_almacen(cuadricula)
    pd.testing.assert_frame_equal(pd.DataFrame(der.frentes), pd.DataFrame(sin_aviso.frentes))


def test_derivar_con_confirmados_sin_frontis_y_frentes_en_otro_proceso(cuadricula, correr,
                                                                       tmp_path, monkeypatch):
    # el único confirmado no tiene frontis derivado (antes: error interno al repartir). El
    # proceso aparte escribe los frentes y, al terminar, se agrega el trozo del confirmado:
    # el mismo GeoPackage que escribiéndolo todo al final
    import geo.derivaciones as D

    with abrir(cuadricula) as alm:
        alm.confirmar_frontis([{"codigo": "L-1-1", "metros": 4.0, "observacion": "visita"}],
                              "inspector", instante=T0)
    escribir, agregadas = D.escribir_capa_gpkg, {}

    def espia(gdf, ruta, capa, agregar=False):  # qué se agregó al final de una capa
        if agregar:
            agregadas[umbral].append((capa, len(gdf)))
        return escribir(gdf, ruta, capa, agregar)

    monkeypatch.setattr(D, "escribir_capa_gpkg", espia)
    salidas = {}
    for umbral in (10**9, 1):  # todo al final / frentes en otro proceso
        monkeypatch.setattr(D, "FILAS_EN_OTRO_PROCESO", umbral)
        salidas[umbral], agregadas[umbral] = tmp_path / f"derivados_{umbral}.gpkg", []
        rc, _, err = correr("derivar", cuadricula, "--salida", salidas[umbral])
        assert rc in (0, 1), err
    # con el proceso aparte, solo el trozo del confirmado se agrega después
    assert agregadas == {10**9: [], 1: [("frentes", 1)]}
    a, b = (pyogrio.read_dataframe(salidas[u], layer="frentes", fid_as_index=True)
            for u in (10**9, 1))
    assert a["codigo"].iloc[-1] == "L-1-1" and a.geometry.iloc[-1] is None
    assert a["longitud_m"].iloc[-1] == 4.0 and (a["frontis_fuente"] == "confirmado").sum() == 1
    pd.testing.assert_frame_equal(pd.DataFrame(a.drop(columns="geometry")),
                                  pd.DataFrame(b.drop(columns="geometry")))
    assert a.geometry.equals(b.geometry)


def test_frontis_confirmado_en_la_tarifa_de_punta_a_punta(almacen, correr):
    from geo.flujo import derivar_almacen, tarifas_almacen
    from geo.tarifas import calcular_tarifas

    rc, out, err = correr("confirmar-frontis", "190301-01-001-002", "--metros", "15.5",
                          "--usuario", "inspector", "--observacion", "visita 2025-05-02",
                          "--capas", almacen)
    assert rc == 0, err
    # el flujo aplica lo confirmado: derivar ya entrega el frontis confirmado
    _, der, ordenanza = derivar_almacen(almacen)
    predios, frentes = der.predios, der.frentes
    fila = predios.set_index("codigo").loc["190301-01-001-002"]
    assert fila["frontis_m"] == 15.5 and fila["frontis_fuente"] == "confirmado"
    assert fila["frontis_derivado_m"] == pytest.approx(20.0, abs=0.01)  # da a las dos vías
    assert frentes.groupby("codigo")["longitud_m"].sum()["190301-01-001-002"] == \
        pytest.approx(15.5)
    resultado = calcular_tarifas(predios, frentes, ordenanza, microrutas=der.microrutas)
    assert resultado is not None
    _, _, res = tarifas_almacen(almacen)
    assert res.fuentes_frontis["predios_confirmado"] == 1
    assert res.fuentes_frontis["predios_derivado"] == 3
    assert res.fuentes_frontis["diferencia_confirmado_m"] == pytest.approx(15.5 - 20.0, abs=0.01)
