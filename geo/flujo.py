"""El flujo de trabajo, paso a paso: capas → validación → derivaciones → tarifas → salidas.

La CLI y las pruebas de extremo a extremo llaman a estas funciones; cada paso toma lo que
devolvió el anterior.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import fields
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.capas import a_crs_metrico, a_disco, archivo_atomico, leer_capa, listar_capas
from geo.config import CONFIG, Config
from geo.errores import ErrorDatos, Problema
from geo.esquema import CAPAS
from geo.paralelo import en_bloques
from geo.validacion import convertir_columnas

log = logging.getLogger(__name__)


def cargar_capas(ruta: str | Path, config: Config = CONFIG,
                 fecha=None) -> dict[str, gpd.GeoDataFrame]:
    """Lee el almacén para derivar: capas presentes, tipos convertidos y CRS métrico.

    ``fecha`` (``"AAAA-MM-DD"``, fin de ese día en hora del Perú): el catastro como estaba
    entonces, reconstruido del historial (:meth:`geo.almacen.Almacen.capas`). ``ruta`` puede
    ser también ``postgresql://…``.

    Es una comprobación ligera (columnas, tipos, geometrías válidas); la completa (solapes,
    límites del distrito…) es ``catastro validar``, que conviene correr antes. Si algo impide
    derivar, lanza ``ErrorDatos`` diciendo qué falta y cómo seguir.
    """
    leidas = None
    if fecha is not None or str(ruta).startswith(("postgresql://", "postgres://")):
        from geo.almacen import abrir

        with abrir(ruta, config) as almacen:
            leidas = almacen.capas(fecha)
        ruta = _Nombre(str(ruta))
        presentes = set(leidas)
    else:
        ruta = Path(ruta)
        presentes = set(listar_capas(ruta))
    faltan = [c.nombre for c in CAPAS.values() if c.obligatoria and c.nombre not in presentes]
    if faltan:
        raise ErrorDatos(f"{ruta.name} no tiene las capas obligatorias: {', '.join(faltan)}. "
                         f"Ejecute 'catastro validar {ruta}' para el detalle.", "CAPA_FALTANTE")
    capas: dict[str, gpd.GeoDataFrame] = {}
    with ThreadPoolExecutor(1) as hilo:
        for nombre in (n for n in CAPAS if n in presentes):
            gdf = leidas[nombre] if leidas is not None else _leer(ruta, nombre)
            capas[nombre] = _preparar(gdf, nombre, ruta, config, hilo)
    return capas


def _geometrias_malas(geoms: np.ndarray) -> np.ndarray:
    """Máscara de las geometrías vacías, faltantes o inválidas."""
    malas = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    malas[~malas] = ~en_bloques(shapely.is_valid, geoms[~malas])
    return malas


def _preparar(gdf: gpd.GeoDataFrame, nombre: str, ruta, config: Config,
              hilo: ThreadPoolExecutor) -> gpd.GeoDataFrame:
    """Una capa leída, lista para derivar (ver :func:`cargar_capas`); ``ErrorDatos`` si no.

    Si ya está en el CRS métrico, la validez de sus geometrías se revisa en ``hilo`` mientras
    se convierten las columnas (GEOS y Arrow sueltan el GIL): con un millón de predios, ~0,3 s
    menos. Los errores salen en el mismo orden: primero columnas, después geometrías.
    """
    esquema = CAPAS[nombre]
    sin_col = [c.nombre for c in esquema.columnas if c.obligatoria and c.nombre not in gdf]
    if sin_col:
        raise ErrorDatos(f"La capa '{nombre}' no tiene las columnas {', '.join(sin_col)}. "
                         f"Ejecute 'catastro validar {ruta}'.", "COLUMNA_FALTANTE")
    validez = None
    if gdf.crs is not None and gdf.crs == config.crs_metrico:
        validez = hilo.submit(_geometrias_malas, gdf.geometry.to_numpy())
    gdf, problemas = convertir_columnas(gdf, esquema)
    errores = [p for p in problemas if p.severidad == "error"]
    if errores:
        raise ErrorDatos(
            f"La capa '{nombre}' tiene {len(errores)} valores vacíos o mal escritos (el "
            f"primero: {errores[0].elemento}: {errores[0].mensaje}). Ejecute "
            f"'catastro validar {ruta}' y corríjalos.", errores[0].codigo)
    gdf = a_crs_metrico(gdf, nombre, config)
    malas = validez.result() if validez is not None else _geometrias_malas(
        gdf.geometry.to_numpy())
    if malas.any():
        i = int(np.flatnonzero(malas)[0])
        clave = esquema.clave
        elem = gdf[clave].iloc[i] if clave and clave in gdf else f"#{i}"
        raise ErrorDatos(
            f"La capa '{nombre}' tiene {int(malas.sum())} geometrías vacías o inválidas "
            f"(la primera: {elem}). Ejecute 'catastro validar {ruta}' y corríjalas.",
            "GEOM_INVALIDA")
    return gdf


class _Nombre(str):
    """Un almacén que no es un archivo (o una fecha pasada): ``.name`` para los mensajes."""

    @property
    def name(self) -> str:
        return str(self)


def _leer(ruta: Path, nombre: str) -> gpd.GeoDataFrame:
    """:func:`geo.capas.leer_capa` por Arrow si hay pyarrow (3 × más rápido; mismo resultado).

    Los errores de lectura se dejan a ``leer_capa``, que los explica.
    """
    from geo.derivaciones import hay_pyarrow

    if hay_pyarrow():
        try:
            return gpd.read_file(ruta, layer=nombre, engine="pyogrio", use_arrow=True)
        except Exception as e:  # noqa: BLE001 - leer_capa repite la lectura y explica el error
            log.debug("lectura por Arrow de '%s' falló (%s); se lee sin Arrow", nombre, e)
    return leer_capa(ruta, nombre)


def derivar_almacen(ruta: str | Path, ordenanza=None, distancia: str = "euclidea",
                    config: Config = CONFIG, fecha=None, al_tener_frentes=None):
    """capas → derivaciones, con el umbral de parques de la ordenanza.

    ``fecha``: derivar el catastro como estaba ese día (ver :func:`cargar_capas`).
    ``al_tener_frentes``: ver :func:`geo.derivaciones.derivar`; recibe los frentes con el
    frontis confirmado repartido. Los definitivos pueden traer después unas filas más, al
    final: el trozo sin geometría de cada predio confirmado que no tiene ninguno, que lleva el
    sector de barrido del predio derivado (ver :func:`geo.almacen.agregar_sin_trozo`).

    Devuelve ``(capas, derivados, ordenanza)``.
    """
    from geo.almacen import aplicar_frontis_confirmado, repartir_frontis_confirmado
    from geo.derivaciones import derivar
    from geo.ordenanza import cargar_ordenanza

    if ordenanza is None or isinstance(ordenanza, (str, Path)):
        ordenanza = cargar_ordenanza(ordenanza)
    capas = cargar_capas(ruta, config, fecha)
    confirmados = _confirmados(ruta, config, fecha)
    aviso, repartidos = None, []
    if al_tener_frentes is not None:
        # los predios confirmados con sus metros: lo único que el reparto entre los trozos toma
        # de los predios derivados
        conf = pd.DataFrame()
        if len(confirmados):
            conf = aplicar_frontis_confirmado(
                pd.DataFrame({"codigo": capas["predios"]["codigo"], "frontis_m": np.nan}),
                confirmados)
            conf = conf[conf["frontis_fuente"] == "confirmado"]

        def aviso(frentes):
            repartidos.append(repartir_frontis_confirmado(frentes, conf, sin_trozo=False))
            al_tener_frentes(repartidos[0])
    derivados = derivar(capas, float(ordenanza.parques.umbral_cerca_m), distancia, config,
                        aviso)
    # sobre los mismos trozos que ya se empezaron a escribir, si se empezaron
    _frontis_confirmado(derivados, confirmados, repartidos[0] if repartidos else None)
    return capas, derivados, ordenanza


def _confirmados(ruta, config: Config, fecha) -> pd.DataFrame:
    """Frontis confirmados en campo vigentes (a ``fecha``, si se da)."""
    from geo.almacen import abrir

    with abrir(ruta, config) as almacen:
        return almacen.frontis_confirmados(fecha)


def _frontis_confirmado(derivados, confirmados: pd.DataFrame, repartidos=None) -> None:
    """Un frontis confirmado en campo manda sobre el derivado (que se sigue informando en
    ``frontis_derivado_m``); sus metros se reparten entre los trozos del predio para que cada
    uno conserve su sector de barrido. Modifica ``derivados`` en su lugar. ``repartidos``: los
    trozos ya repartidos, si se repartieron antes (ver :func:`derivar_almacen`); solo les
    faltan los de los predios confirmados sin trozos."""
    from geo.almacen import (
        agregar_sin_trozo,
        aplicar_frontis_confirmado,
        repartir_frontis_confirmado,
    )

    derivados.predios = aplicar_frontis_confirmado(derivados.predios, confirmados)
    if repartidos is None:
        derivados.frentes = repartir_frontis_confirmado(derivados.frentes, derivados.predios)
    else:
        derivados.frentes = agregar_sin_trozo(repartidos, derivados.predios)


def tarifas_almacen(ruta: str | Path, ordenanza=None, distancia: str = "euclidea",
                    config: Config = CONFIG, fecha=None):
    """capas → derivaciones → tarifas. Devuelve ``(capas, derivados, resultado)``."""
    from geo.tarifas import calcular_tarifas

    capas, derivados, ordenanza = derivar_almacen(ruta, ordenanza, distancia, config, fecha)
    from geo.almacen import resumen_fuentes_frontis

    resultado = calcular_tarifas(derivados.predios, derivados.frentes, ordenanza,
                                 microrutas=derivados.microrutas)
    # solo los predios que pagan barrido: su cuota descansa en el frontis
    cobro = pd.to_numeric(resultado.predios.set_index("codigo")["barrido_anual"])
    pagan = derivados.predios["codigo"].map(cobro).fillna(0) > 0
    resultado.fuentes_frontis = resumen_fuentes_frontis(derivados.predios[pagan], cobro)
    return capas, derivados, resultado


def actualizar_derivados(ruta, ruta_derivados, cambiados, borrados, ordenanza=None,
                         config: Config = CONFIG):
    """Después de ``catastro actualizar``: re-deriva solo lo que alcanza el cambio
    (:func:`geo.incremental.derivar_incremental`), reescribe ``ruta_derivados`` (atómico) y
    compara los arbitrios de todos los predios antes y después.

    Devuelve ``(cambios_de_arbitrio, ResultadoIncremental)``.
    """
    from geo.derivaciones import escribir_derivados
    from geo.incremental import cambios_de_arbitrio, derivar_incremental
    from geo.ordenanza import cargar_ordenanza
    from geo.tarifas import calcular_tarifas

    if ordenanza is None or isinstance(ordenanza, (str, Path)):
        ordenanza = cargar_ordenanza(ordenanza)
    previos = leer_derivados(ruta_derivados)
    antes = calcular_tarifas(previos.predios, previos.frentes, ordenanza,
                             microrutas=previos.microrutas)
    capas = cargar_capas(ruta, config)
    inc = derivar_incremental(capas, previos, cambiados, borrados,
                              float(ordenanza.parques.umbral_cerca_m), None, config)
    nuevos = inc.derivados
    _frontis_confirmado(nuevos, _confirmados(ruta, config, None))
    despues = calcular_tarifas(nuevos.predios, nuevos.frentes, ordenanza,
                               microrutas=nuevos.microrutas)
    escribir_derivados(nuevos, ruta_derivados)
    escribir_avisos(nuevos.avisos, ruta_avisos(ruta_derivados))
    return cambios_de_arbitrio(antes, despues), inc


def ruta_avisos(ruta_derivados: str | Path) -> Path:
    """El CSV de avisos que acompaña a un GeoPackage de derivados: ``<nombre>_avisos.csv``."""
    ruta_derivados = Path(ruta_derivados)
    return ruta_derivados.with_name(ruta_derivados.stem + "_avisos.csv")


def escribir_avisos(avisos, ruta: str | Path) -> Path:
    """Avisos a CSV (se abre en Excel/QGIS), de forma atómica. Sin avisos, el CSV queda con
    solo los encabezados: no sobrevive la lista de una corrida anterior."""
    with avisos_al_salir(avisos, ruta) as escrito:
        pass
    return escrito


@contextmanager
def avisos_al_salir(avisos, ruta: str | Path) -> Iterator[Path]:
    """Escribe ya el CSV de avisos en un temporal y lo baja al disco; lo pone en ``ruta`` al
    salir del bloque sin error (si no, ``ruta`` queda como estaba).

    ``catastro derivar`` lo escribe así mientras otro proceso termina los frentes, y lo
    renombra después del GeoPackage. Al final, el ``fsync`` del CSV esperaba al del GeoPackage
    recién renombrado: con un millón de predios, 0,43 s para 6 169 avisos.

    La tabla se arma columna por columna: ``asdict`` aviso por aviso tarda segundos con 100k
    avisos.
    """
    cols = [f.name for f in fields(Problema)]
    tabla = pd.DataFrame({c: [getattr(a, c) for a in avisos] for c in cols}, columns=cols)
    with archivo_atomico(ruta) as tmp:
        tabla.to_csv(tmp, index=False, encoding="utf-8-sig")
        a_disco(tmp)  # ahora: al salir, el fsync de archivo_atomico ya no espera
        yield Path(ruta)


def leer_derivados(ruta: str | Path):
    """Lee un GeoPackage escrito por ``catastro derivar`` como :class:`Derivados`.

    Los avisos vienen del CSV ``<nombre>_avisos.csv`` que escribe la misma orden, si existe.
    """
    from geo.derivaciones import Derivados

    ruta = Path(ruta)
    predios = leer_capa(ruta, "predios")
    frentes = leer_capa(ruta, "frentes")
    microrutas = leer_capa(ruta, "microrutas")
    esquema = CAPAS["predios"]
    predios, _ = convertir_columnas(predios, esquema)
    avisos = []
    csv = ruta_avisos(ruta)
    if csv.exists():
        tabla = pd.read_csv(csv, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        avisos = [Problema(*fila) for fila in tabla[
            [f.name for f in fields(Problema)]].itertuples(
                index=False, name=None)]
    return Derivados(predios, frentes, microrutas, avisos)
