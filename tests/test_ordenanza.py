"""Cargador de la ordenanza: valores del archivo y errores que nombran la clave."""

from __future__ import annotations

import copy
import dataclasses
import tomllib
from decimal import Decimal
from pathlib import Path

import pytest

from geo.errores import ErrorOrdenanza
from geo.ordenanza import RUTA_POR_DEFECTO, cargar_ordenanza, validar_datos


@pytest.fixture(scope="module")
def datos():
    with open(RUTA_POR_DEFECTO, "rb") as f:
        return tomllib.load(f, parse_float=Decimal)


def test_carga_por_defecto_con_decimales_exactos():
    o = cargar_ordenanza()
    assert o.barrido.costo.total == Decimal("261895.56")
    assert isinstance(o.recoleccion.costo.indirectos, Decimal)
    assert o.parques.umbral_cerca_m == 100
    assert [s.frecuencia_semanal for s in o.barrido.sectores] == [6, 6, 6, 6]
    # los cuadros numeran "9 Bienes comunes"; el archivo usa el código SNC 10
    assert o.recoleccion.generacion_kg_predio_dia["A"][10] == Decimal("431.258")
    assert o.recoleccion.numeracion_cuadros[9] == 10
    assert o.serenazgo.incidencias_por_uso[1] == 894
    assert sum(o.serenazgo.incidencias_por_uso.values()) == 1614
    assert [z.indice_peligrosidad for z in o.serenazgo.zonas] == [1]
    assert o.parques.ambito.zonas == ("A",)
    assert o.serenazgo.ambito.tipo == "todos"


def test_exoneraciones_segun_articulos_7_y_8():
    o = cargar_ordenanza()
    assert o.porcentaje_exonerado("municipalidad", "serenazgo") == 100
    assert o.porcentaje_exonerado("educacion_estatal", "barrido") == 50
    assert o.porcentaje_exonerado("salud_estatal", "parques") == 50
    assert o.porcentaje_exonerado("educacion_privada", "recoleccion") == 20
    assert o.porcentaje_exonerado("pnp", "barrido") == 50
    assert o.porcentaje_exonerado("pnp", "parques") == 100
    assert o.porcentaje_exonerado(None, "parques") == 0
    (tsc,) = o.inafectaciones
    assert tsc.usos == (7,) and set(tsc.servicios) == {"recoleccion", "parques"}


def test_es_inmutable():
    o = cargar_ordenanza()
    with pytest.raises(dataclasses.FrozenInstanceError):
        o.barrido.costo.total = Decimal(0)
    with pytest.raises(TypeError):
        o.exoneraciones["pnp"].porcentaje["parques"] = 0


def test_falta_costo_total_nombra_la_clave(datos):
    d = copy.deepcopy(datos)
    del d["barrido"]["costo"]["total"]
    with pytest.raises(ErrorOrdenanza, match=r"ordenanzas/x\.toml: .*falta la clave \[barrido\]\.costo\.total"):
        validar_datos(d, "ordenanzas/x.toml")


def test_reune_todos_los_problemas(datos):
    d = copy.deepcopy(datos)
    d["parques"]["ambito"]["tipo"] = "cerca"
    d["serenazgo"]["incidencias_por_uso"]["11"] = 3
    d["exoneraciones"]["pnp"]["porcentaje"]["barrido"] = 150
    with pytest.raises(ErrorOrdenanza) as e:
        validar_datos(d, "ordenanzas/x.toml")
    msg = str(e.value)
    assert "[parques].ambito.tipo" in msg
    assert '[serenazgo].incidencias_por_uso."11"' in msg
    assert "[exoneraciones.pnp].porcentaje.barrido" in msg


def test_costo_que_no_suma(datos):
    d = copy.deepcopy(datos)
    d["parques"]["costo"]["fijos"] = Decimal("4680.01")
    with pytest.raises(ErrorOrdenanza, match=r"\[parques\]\.costo: directos \+ indirectos \+ fijos"):
        validar_datos(d, "x")


def test_archivo_inexistente_y_toml_invalido(tmp_path: Path):
    with pytest.raises(ErrorOrdenanza, match="no existe"):
        cargar_ordenanza(tmp_path / "nada.toml")
    malo = tmp_path / "malo.toml"
    malo.write_text("[barrido\ncosto = 1", encoding="utf-8")
    with pytest.raises(ErrorOrdenanza, match=r"malo\.toml: no es un TOML válido"):
        cargar_ordenanza(malo)


def test_condicion_desconocida(datos):
    d = copy.deepcopy(datos)
    d["exoneraciones"]["sindicato"] = d["exoneraciones"]["pnp"]
    with pytest.raises(ErrorOrdenanza, match=r"\[exoneraciones\.sindicato\]"):
        validar_datos(d, "x")


def test_entero_invalido_nombra_la_clave(datos):
    d = copy.deepcopy(datos)
    d["meta"]["meses"] = "doce"
    d["inafectaciones"]["terreno_sin_construir"]["usos"] = ["siete"]
    with pytest.raises(ErrorOrdenanza) as e:
        validar_datos(d, "ordenanzas/x.toml")
    msg = str(e.value)
    assert "[meta].meses vale 'doce'" in msg
    assert "[inafectaciones.terreno_sin_construir].usos vale 'siete'" in msg
