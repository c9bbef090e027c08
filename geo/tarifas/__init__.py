"""Motor de arbitrios: la ordenanza como datos, dos modos (verificación y catastro).

Funciones públicas (la CLI las usa):

* :func:`verificar_ordenanza` y :func:`formatear_verificacion` — recalcula cada cuadro del Anexo
  con los agregados publicados y lista las inconsistencias del texto.
* :func:`calcular_tarifas`, :func:`escribir_salidas`, :func:`formatear_conciliacion` y
  :func:`liquidacion` — arbitrios por predio a partir del catastro.
"""

from geo.tarifas.motor import ResultadoTarifas, calcular_tarifas, liquidacion
from geo.tarifas.salidas import escribir_salidas, formatear_conciliacion
from geo.tarifas.verificacion import Verificacion, formatear_verificacion, verificar_ordenanza

__all__ = [
    "ResultadoTarifas",
    "Verificacion",
    "calcular_tarifas",
    "escribir_salidas",
    "formatear_conciliacion",
    "formatear_verificacion",
    "liquidacion",
    "verificar_ordenanza",
]
