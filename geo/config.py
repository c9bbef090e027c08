"""Configuración técnica, en un solo lugar, inmutable.

Los parámetros de la ordenanza (costos, frecuencias, umbrales, exoneraciones) NO viven aquí:
están en ``geo/ordenanzas/*.toml``. Aquí solo hay opciones técnicas (CRS, tolerancias).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class Config:
    """Opciones técnicas del sistema.

    Attributes
    ----------
    crs_metrico : CRS proyectado en metros donde se mide todo (por defecto UTM 18S).
    tolerancia_frontis_m : distancia (m) hasta la que un lindero se considera sobre la vía.
    tolerancia_solape_m2 : área (m²) de solape entre predios por encima de la cual se reporta.
    factor_area_construida : área construida mayor que este múltiplo del terreno es sospechosa.
    ancho_via_por_tipo_m : ancho por defecto (m) de una vía sin ``ancho_m``, según su tipo.
    """

    crs_metrico: str = "EPSG:32718"
    tolerancia_frontis_m: float = 0.5
    tolerancia_solape_m2: float = 1.0
    factor_area_construida: float = 20.0
    ancho_via_por_tipo_m: dict = field(
        default_factory=lambda: {
            "avenida": 20.0,
            "jiron": 10.0,
            "calle": 10.0,
            "prolongacion": 10.0,
            "malecon": 10.0,
            "paseo": 12.0,
            "pasaje": 6.0,
            "carretera": 12.0,
            "otro": 8.0,
        }
    )

    def con(self, **cambios) -> "Config":
        """Copia con algunos valores cambiados (la configuración nunca se muta)."""
        return replace(self, **cambios)


CONFIG = Config()
