create sequence invoice_numbers start 1000 increment 10 maxvalue 999999 cycle;
