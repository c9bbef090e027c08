"""El flujo de trabajo, paso a paso: capas → validación → derivaciones → tarifas → salidas.

La CLI y las pruebas de extremo a extremo llaman a estas funciones; cada paso toma lo que
devolvió el anterior.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from geo.capas import a_crs_metrico, leer_capa, listar_capas
from geo.config import CONFIG, Config
from geo.errores import ErrorDatos
from geo.esquema import CAPAS
from geo.validacion import convertir_columnas


def cargar_capas(ruta: str | Path, config: Config = CONFIG) -> dict[str, gpd.GeoDataFrame]:
    """Lee el almacén para derivar: capas presentes, tipos convertidos y CRS métrico.

    Es una comprobación ligera (columnas, tipos, geometrías válidas); la completa (solapes,
    límites del distrito…) es ``catastro validar``, que conviene correr antes. Si algo impide
    derivar, lanza ``ErrorDatos`` diciendo qué falta y cómo seguir.
    """
    ruta = Path(ruta)
    presentes = set(listar_capas(ruta))
    faltan = [c.nombre for c in CAPAS.values() if c.obligatoria and c.nombre not in presentes]
    if faltan:
        raise ErrorDatos(f"{ruta.name} no tiene las capas obligatorias: {', '.join(faltan)}. "
                         f"Ejecute 'catastro validar {ruta}' para el detalle.", "CAPA_FALTANTE")
    capas: dict[str, gpd.GeoDataFrame] = {}
    for nombre in (n for n in CAPAS if n in presentes):
        esquema = CAPAS[nombre]
        gdf = leer_capa(ruta, nombre)
        sin_col = [c.nombre for c in esquema.columnas if c.obligatoria and c.nombre not in gdf]
        if sin_col:
            raise ErrorDatos(f"La capa '{nombre}' no tiene las columnas {', '.join(sin_col)}. "
                             f"Ejecute 'catastro validar {ruta}'.", "COLUMNA_FALTANTE")
        gdf, problemas = convertir_columnas(gdf, esquema)
        errores = [p for p in problemas if p.severidad == "error"]
        if errores:
            raise ErrorDatos(
                f"La capa '{nombre}' tiene {len(errores)} valores vacíos o mal escritos (el "
                f"primero: {errores[0].elemento}: {errores[0].mensaje}). Ejecute "
                f"'catastro validar {ruta}' y corríjalos.", errores[0].codigo)
        gdf = a_crs_metrico(gdf, nombre, config)
        geoms = gdf.geometry.to_numpy()
        malas = shapely.is_missing(geoms) | shapely.is_empty(geoms)
        malas[~malas] = ~shapely.is_valid(geoms[~malas])
        if malas.any():
            i = int(np.flatnonzero(malas)[0])
            clave = esquema.clave
            elem = gdf[clave].iloc[i] if clave and clave in gdf else f"#{i}"
            raise ErrorDatos(
                f"La capa '{nombre}' tiene {int(malas.sum())} geometrías vacías o inválidas "
                f"(la primera: {elem}). Ejecute 'catastro validar {ruta}' y corríjalas.",
                "GEOM_INVALIDA")
        capas[nombre] = gdf
    return capas


def derivar_almacen(ruta: str | Path, ordenanza=None, distancia: str = "euclidea",
                    config: Config = CONFIG):
    """capas → derivaciones, con el umbral de parques de la ordenanza.

    Devuelve ``(capas, derivados, ordenanza)``.
    """
    from geo.derivaciones import derivar
    from geo.ordenanza import cargar_ordenanza

    if ordenanza is None or isinstance(ordenanza, (str, Path)):
        ordenanza = cargar_ordenanza(ordenanza)
    capas = cargar_capas(ruta, config)
    derivados = derivar(capas, float(ordenanza.parques.umbral_cerca_m), distancia, config)
    return capas, derivados, ordenanza


def tarifas_almacen(ruta: str | Path, ordenanza=None, distancia: str = "euclidea",
                    config: Config = CONFIG):
    """capas → derivaciones → tarifas. Devuelve ``(capas, derivados, resultado)``."""
    from geo.tarifas import calcular_tarifas

    capas, derivados, ordenanza = derivar_almacen(ruta, ordenanza, distancia, config)
    resultado = calcular_tarifas(derivados.predios, derivados.frentes, ordenanza)
    return capas, derivados, resultado
