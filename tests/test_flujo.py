"""Extremo a extremo por la CLI: capas → derivar → tarifas → liquidación, con cifras a mano.

El almacén mínimo (conftest) es una manzana de 4 lotes de 10 × 20 m entre dos vías de 10 m de
ancho (ejes en y = 25 e y = −5, linderos en y = 20 e y = 0): cada lote tiene 10 m de frontis a
cada vía = 20 m; los lados este y oeste de la manzana dan a campo abierto (sin vía). Todo está
en la zona A, el sector de barrido 1 (6 días) y la zona urbana. Con la Ordenanza 466-2019:
"""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal as D

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString

from conftest import CRS, X0, Y0, capas_minimas, escribir


def _c(x: D) -> D:
    return x.quantize(D("0.01"), rounding=ROUND_HALF_UP)


@pytest.fixture
def salidas(almacen, correr, tmp_path):
    rc, out, err = correr("tarifas", almacen, "--salida", tmp_path / "t")
    assert rc == 0, out + err
    tabla = pd.read_csv(tmp_path / "t" / "arbitrios_predios.csv", dtype={"codigo": str})
    resumen = json.loads((tmp_path / "t" / "resumen.json").read_text())
    return tabla.set_index("codigo"), resumen, out


def test_derivar_frontis_de_la_manzana(almacen, correr, tmp_path):
    rc, out, err = correr("derivar", almacen, "--salida", tmp_path / "d.gpkg")
    assert rc == 0, out + err
    predios = gpd.read_file(tmp_path / "d.gpkg", layer="predios")
    frentes = gpd.read_file(tmp_path / "d.gpkg", layer="frentes")
    assert predios["frontis_m"].tolist() == pytest.approx([20.0] * 4, abs=0.005)
    # dos trozos por lote, uno por vía, de 10 m cada uno
    por_via = frentes.groupby(["codigo", "via"])["longitud_m"].sum()
    assert len(por_via) == 8
    assert por_via.tolist() == pytest.approx([10.0] * 8, abs=0.005)
    assert set(predios["sector_barrido"]) == {"1"}
    assert set(predios["zona_recoleccion"]) == {"A"}
    assert "Derivados escritos" in out


def test_barrido_a_mano(salidas):
    tabla, resumen, _ = salidas
    # Todo el costo de barrido va al sector 1 (el único con frontis): 4 lotes × 20 m = 80 ml.
    costo = D("261895.56")
    mensual_ml = costo / D(80) / 12
    cuota = _c(20 * mensual_ml)
    assert cuota == D("5456.16")
    assert D(str(tabla.loc["190301-01-001-001", "barrido_mensual"])) == cuota
    # educación estatal: 50 % (Art. 8.1)
    assert D(str(tabla.loc["190301-01-001-003", "barrido_mensual"])) == _c(10 * mensual_ml)


def test_recoleccion_a_mano(salidas):
    tabla, _, _ = salidas
    # Cuadro 19: la zona A se lleva 9.908 / (9.908 + 2.046) del costo; la B no tiene predios.
    zona_a = D("690256.88") * D("9.908") / (D("9.908") + D("2.046"))
    # Cuadro 20: kg/predio/día × predios. Uso 1: 2 × 3.030; uso 2: 1 × 4.594. El terreno sin
    # construir (uso 7) es inafecto (Art. 7.4).
    kg1, kg2 = 2 * D("3.030"), D("4.594")
    costo_uso1 = zona_a * kg1 / (kg1 + kg2)
    costo_uso2 = zona_a * kg2 / (kg1 + kg2)
    tasa1 = costo_uso1 / (D(120) + D(90)) / 12  # S/ por m² al mes
    tasa2 = costo_uso2 / D(300) / 12
    assert D(str(tabla.loc["190301-01-001-001", "recoleccion_mensual"])) == _c(120 * tasa1)
    assert D(str(tabla.loc["190301-01-001-002", "recoleccion_mensual"])) == _c(300 * tasa2)
    assert D(str(tabla.loc["190301-01-001-003", "recoleccion_mensual"])) == _c(90 * tasa1 / 2)
    assert tabla.loc["190301-01-001-004", "recoleccion_mensual"] == 0


def test_serenazgo_y_parques_a_mano(salidas):
    tabla, _, _ = salidas
    # Cuadro 47: incidencias por uso sobre el total de 1,614; la cuota es costo del uso / predios.
    costo = D("684906.00")
    res = costo * 894 / 1614 / 2 / 12  # dos predios residenciales
    com = costo * 476 / 1614 / 1 / 12
    ter = costo * 76 / 1614 / 1 / 12
    assert D(str(tabla.loc["190301-01-001-001", "serenazgo_mensual"])) == _c(res)
    assert D(str(tabla.loc["190301-01-001-002", "serenazgo_mensual"])) == _c(com)
    assert D(str(tabla.loc["190301-01-001-004", "serenazgo_mensual"])) == _c(ter)
    # Parques: los tres predios afectos dan frente a la Plaza Mayor por la misma cuadra (A);
    # con una sola categoría, cada uno paga un tercio del costo.
    assert set(tabla["categoria_parques"]) == {"A"}
    parque = D("252283.39") / 3 / 12
    assert D(str(tabla.loc["190301-01-001-001", "parques_mensual"])) == _c(parque)
    assert tabla.loc["190301-01-001-004", "parques_mensual"] == 0  # terreno sin construir


def test_conciliacion_al_centimo(salidas):
    _, resumen, out = salidas
    for servicio, c in resumen["servicios"].items():
        costo = D(c["costo_distribuido"])
        suma = D(c["cobrado_anual"]) + D(c["exonerado_anual"]) + D(c["residuo_redondeo"])
        assert suma == costo, servicio
        assert D(c["costo_distribuido"]) + D(c["costo_sin_distribuir"]) == D(c["costo"])
    # el costo de la zona B, sin predios, se informa en vez de cargarse a la zona A
    assert D(resumen["servicios"]["recoleccion"]["costo_sin_distribuir"]) == _c(
        D("690256.88") * D("2.046") / (D("9.908") + D("2.046")))


def test_liquidacion_de_un_predio(almacen, correr):
    rc, out, err = correr("liquidacion", "190301-01-001-001", "--capas", almacen)
    assert rc == 0, err
    assert "190301-01-001-001" in out and "5,456.16" in out.replace("5456.16", "5,456.16")
    rc, out, err = correr("liquidacion", "NO-EXISTE", "--capas", almacen)
    assert rc == 1 and "NO-EXISTE" in err and "Traceback" not in err


def test_tarifas_con_capas_rotas_no_escribe_nada(tmp_path, correr):
    capas = capas_minimas()
    capas["predios"] = capas["predios"].drop(columns="uso")
    ruta = escribir(capas, tmp_path / "roto.gpkg")
    rc, out, err = correr("tarifas", ruta, "--salida", tmp_path / "t")
    assert rc == 1 and "uso" in err and "Traceback" not in err
    assert not (tmp_path / "t").exists()


@pytest.mark.parametrize("crs", [None, "EPSG:4326"])
def test_derivar_con_un_predio_invalido_lo_nombra(tmp_path, correr, crs):
    """La validez de las geometrías se revisa en otro hilo si la capa ya está en el CRS
    métrico, o después de reproyectarla si no: el mismo error, con el código del predio."""
    from shapely.geometry import Polygon

    capas = capas_minimas()
    p = capas["predios"]
    x0, y0 = p.geometry.iloc[2].bounds[:2]
    moño = Polygon([(x0, y0), (x0 + 10, y0 + 20), (x0 + 10, y0), (x0, y0 + 20)])
    p.loc[p.index[2], "geometry"] = moño  # se cruza a sí mismo: inválido
    if crs:
        capas = {n: c.to_crs(crs) for n, c in capas.items()}
    ruta = escribir(capas, tmp_path / "moño.gpkg")
    rc, _, err = correr("derivar", ruta, "--salida", tmp_path / "d.gpkg")
    assert rc == 1 and "Traceback" not in err
    assert "1 geometrías vacías o inválidas (la primera: 190301-01-001-003)" in err
    assert not (tmp_path / "d.gpkg").exists()


def test_personales_fuera_de_las_salidas_publicadas(salidas, tmp_path):
    for archivo in (tmp_path / "t").rglob("*"):
        if archivo.suffix in (".csv", ".json", ".html"):
            texto = archivo.read_text(encoding="utf-8-sig")
            assert "Núñez" not in texto and "Müller" not in texto, archivo


def test_actualizar_con_derivados_rederiva_y_muestra_cambios(almacen, correr, tmp_path):
    """Un cambio de área construida: se re-deriva solo lo alcanzado, el GeoPackage de derivados
    queda igual a una derivación completa y se listan los predios cuyo arbitrio cambia."""
    der = tmp_path / "der.gpkg"
    assert correr("derivar", almacen, "--salida", der)[0] == 0
    cambios = gpd.GeoDataFrame(
        {"operacion": ["modificacion"], "codigo": ["190301-01-001-001"],
         "area_construida_m2": [240.0]}, geometry=[None], crs="EPSG:32718")
    cambios.to_file(tmp_path / "cambios.gpkg")
    rc, out, err = correr("actualizar", almacen, "--cambios", tmp_path / "cambios.gpkg",
                          "--expediente", "E-2026-001", "--usuario", "catastro1",
                          "--derivados", der)
    assert rc == 0, out + err
    # Recolección, uso 1 (dos predios): la tasa es costo del uso ÷ Σ área construida, así que
    # cambian el predio editado y el otro residencial (003, exonerado al 50 %).
    assert "Cambio del arbitrio mensual total en 2 predios" in out
    zona_a = D("690256.88") * D("9.908") / (D("9.908") + D("2.046"))
    kg1, kg2 = 2 * D("3.030"), D("4.594")
    costo_uso1 = zona_a * kg1 / (kg1 + kg2)
    antes, despues = _c(120 * costo_uso1 / 210 / 12), _c(240 * costo_uso1 / 330 / 12)
    assert antes == D("15496.16")
    assert "190301-01-001-001" in out and f"({despues - antes:+,.2f})" in out
    completo = tmp_path / "completo.gpkg"
    assert correr("derivar", almacen, "--salida", completo)[0] == 0
    a = gpd.read_file(der, layer="predios").drop(columns="geometry")
    b = gpd.read_file(completo, layer="predios").drop(columns="geometry")
    pd.testing.assert_frame_equal(a, b)


def test_salida_que_no_se_puede_escribir_sale_2_con_la_ruta_y_el_motivo(almacen, correr,
                                                                          tmp_path):
    # Una salida imposible es un problema de la ruta, no un «error interno»: código 2, la ruta
    # y el motivo en español, y nada escrito a medias. (Se prueba con rutas imposibles y no
    # con permisos: como root, los permisos no detienen la escritura.)
    archivo = tmp_path / "archivo"
    archivo.write_text("no es una carpeta")
    carpeta = tmp_path / "carpeta.gpkg"
    carpeta.mkdir()
    casos = ((archivo / "sub" / "d.gpkg", "una parte de la ruta es un archivo"),
             (archivo / "d.gpkg", "ya existe un archivo con ese nombre"),
             (carpeta, "ya hay una carpeta con ese nombre"))
    for salida, motivo in casos:
        rc, _, err = correr("derivar", almacen, "--salida", salida)
        assert rc == 2
        assert str(salida) in err and motivo in err and "interno" not in err
    # tarifas crea su carpeta de salida por su cuenta: el mismo trato
    rc, _, err = correr("tarifas", almacen, "--salida", archivo / "t")
    assert rc == 2
    assert f"no se pudo leer o escribir {archivo / 't'}" in err and "interno" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["archivo", "carpeta.gpkg",
                                                           almacen.name]
    assert list(carpeta.iterdir()) == []


def test_vias_sin_ancho_el_resumen_lo_dice_y_estimarlo_da_el_frontis(tmp_path, correr):
    # Ejes como los de OpenStreetMap: sin ancho ni tipo (se miden con 8 m). El Jr. Grau pasa a
    # 9 m del lindero norte de la manzana (y = 29 contra y = 20): 4 + 0,5 m no lo alcanzan, y
    # sin otra vía los 4 lotes quedan sin frontis (FRONTIS_SIN_VIA).
    capas = capas_minimas()
    capas["vias"] = gpd.GeoDataFrame(
        {"nombre": ["Jr. Grau"]},
        geometry=[LineString([(X0 - 10, Y0 + 29), (X0 + 50, Y0 + 29)])], crs=CRS)
    verdes = capas["areas_verdes"]
    capas["areas_verdes"] = verdes.set_geometry(verdes.translate(0, 40))  # lejos del eje
    almacen = escribir(capas, tmp_path / "osm.gpkg")
    rc, out, err = correr("validar", almacen)
    assert rc == 0 and "VIA_SIN_ANCHO" in out and "(sin tipo: 8 m)" in out
    assert "(1 aviso para revisar)" in out
    rc, out, err = correr("derivar", almacen, "--salida", tmp_path / "d.gpkg")
    assert rc == 0, out + err
    assert gpd.read_file(tmp_path / "d.gpkg", layer="predios")["frontis_m"].tolist() == [0.0] * 4
    assert ("Vías sin ancho_m: 1 de 1; se midieron con el ancho por defecto de su tipo "
            "(1 con 8 m). Si las calles son más anchas, los predios que dan a ellas quedan sin "
            "frontis (4 con FRONTIS_SIN_VIA)") in out
    assert "--estimar-ancho" in out
    avisos = pd.read_csv(tmp_path / "d_avisos.csv", dtype=str, encoding="utf-8-sig")
    assert sorted(avisos.loc[avisos["codigo"] == "FRONTIS_SIN_VIA", "elemento"]) == [
        f"190301-01-001-00{i}" for i in range(1, 5)]
    # lo que el resumen sugiere, sobre el mismo GeoPackage: ancho 2 × 9 = 18 m
    rc, out, err = correr("importar", almacen, "--capa-origen", "vias", "--capa", "vias",
                          "--destino", almacen, "--estimar-ancho")
    assert rc == 0, out + err
    rc, out, err = correr("derivar", almacen, "--salida", tmp_path / "d.gpkg")
    assert rc == 0, out + err
    predios = gpd.read_file(tmp_path / "d.gpkg", layer="predios")
    assert predios["frontis_m"].tolist() == pytest.approx([10.0] * 4, abs=0.005)
    assert "Vías sin ancho_m" not in out
    # sin avisos, el CSV queda con solo los encabezados: no sobrevive la lista anterior
    avisos = pd.read_csv(tmp_path / "d_avisos.csv", dtype=str, encoding="utf-8-sig")
    assert len(avisos) == 0 and list(avisos.columns) == [
        "codigo", "severidad", "capa", "elemento", "mensaje", "ubicacion"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.gpkg", "d_avisos.csv", "osm.gpkg"]


def test_avisos_se_escriben_antes_y_se_publican_con_el_geopackage(tmp_path, correr,
                                                                   monkeypatch):
    # El CSV de avisos se escribe y se baja al disco antes de escribir el GeoPackage (mientras
    # el proceso escritor termina los frentes), y se renombra después de él: si el GeoPackage
    # falla, quedan los dos de la corrida anterior.
    import geo.flujo
    from geo.derivaciones import EscrituraDerivados
    from geo.errores import ErrorEscritura

    capas = capas_minimas()
    vias = capas["vias"]
    capas["vias"] = vias.set_geometry(vias.translate(0, 500))  # lejos: predios sin frontis
    almacen = escribir(capas, tmp_path / "a.gpkg")
    salida = tmp_path / "d.gpkg"
    pasos = []
    a_disco, terminar = geo.flujo.a_disco, EscrituraDerivados.terminar
    monkeypatch.setattr(geo.flujo, "a_disco",
                        lambda ruta: (pasos.append(("a_disco", ruta.suffix)), a_disco(ruta)))
    monkeypatch.setattr(EscrituraDerivados, "terminar",
                        lambda self, d: (pasos.append(("terminar", None)), terminar(self, d)))
    rc, out, err = correr("derivar", almacen, "--salida", salida)
    assert rc == 0, out + err
    assert pasos == [("a_disco", ".csv"), ("terminar", None)]
    csv = tmp_path / "d_avisos.csv"
    antes = csv.read_bytes(), salida.read_bytes()
    assert len(pd.read_csv(csv, encoding="utf-8-sig")) > 0

    def falla(self, derivados):
        raise ErrorEscritura("No se pudo escribir (prueba).", "SALIDA_NO_ESCRIBIBLE")

    monkeypatch.setattr(EscrituraDerivados, "terminar", falla)
    rc, out, err = correr("derivar", almacen, "--salida", salida)
    assert rc == 2 and "No se pudo escribir (prueba)." in err
    assert (csv.read_bytes(), salida.read_bytes()) == antes
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.gpkg", "d.gpkg", "d_avisos.csv"]


def test_salida_cortada_por_quien_la_lee_no_es_un_error(almacen, tmp_path):
    # «catastro derivar … | head -1»: quien lee cierra la tubería. La orden termina su trabajo
    # (el GeoPackage se escribe) y sale con su código, sin «Error [ARCHIVO]» por EPIPE.
    import subprocess
    import sys

    salida = tmp_path / "d.gpkg"
    proc = subprocess.Popen([sys.executable, "-c", "from geo.cli import principal; principal()",
                             "derivar", str(almacen), "--salida", str(salida)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # nadie lee
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0, err
    assert err == ""
    assert len(gpd.read_file(salida, layer="predios")) == 4
