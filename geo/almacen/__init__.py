"""Almacén del catastro con historial: GeoPackage (``gpkg``) o PostGIS (``postgis``).

Uso::

    from geo.almacen import abrir
    with abrir("capas/oxapampa.gpkg") as alm:
        capas = alm.capas(fecha="2025-03-31")
        alm.aplicar("cambios.gpkg", expediente="EXP-123", usuario="jperez")
"""

from geo.almacen.base import (
    Almacen,
    ErrorCambios,
    Paso,
    Plan,
    Resumen,
    abrir,
    agregar_sin_trozo,
    aplicar_frontis_confirmado,
    corte,
    leer_cambios,
    repartir_frontis_confirmado,
    resumen_fuentes_frontis,
)

__all__ = ["Almacen", "ErrorCambios", "Paso", "Plan", "Resumen", "abrir", "agregar_sin_trozo",
           "aplicar_frontis_confirmado", "corte", "leer_cambios", "repartir_frontis_confirmado",
           "resumen_fuentes_frontis"]
