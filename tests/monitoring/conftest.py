from tests.plans.conftest import cyano, hydroxo, patient

__all__ = ["cyano", "hydroxo", "patient"]
