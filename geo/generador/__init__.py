"""Generador determinista del distrito de ejemplo (sintético, modelado sobre Oxapampa).

API pública:

* :func:`generar_distrito` — todas las capas de ``geo.esquema.CAPAS``, calibradas a la
  Ordenanza 466-2019-MPO, o el mismo distrito replicado hasta N predios para pruebas de carga.
* :func:`informe_calibracion` — compara lo generado (medido sobre las capas) con la ordenanza.

El trazado y las metas viven en ``geo/datos/distrito_ejemplo.toml``.
"""

from geo.generador.api import generar_distrito
from geo.generador.calibracion import informe_calibracion

__all__ = ["generar_distrito", "informe_calibracion"]
